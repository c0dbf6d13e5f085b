import { resolve } from 'node:path';
import type { Digest } from '../../oci/digest.ts';
import { formatReference } from '../../ref/reference.ts';
import type { TransportRef } from '../../ref/transport-ref.ts';
import type { AccessOptions } from '../../repository/access.ts';
import { STATE_TAG } from './prune-state.ts';

/**
 * A place names are pruned from: one repository of a registry (names are
 * tags; deleting one deletes its manifest, with every tag naming it, as the
 * distribution API deletes by digest) or a whole OCI layout (names are ref
 * names; deleting one removes only that index.json entry).
 */
export interface PruneDestination {
  /** `docker://HOST/REPOSITORY` or `oci:/ABSOLUTE/PATH`: the state key, and the start of every name's display. */
  key: string;
  kind: 'registry' | 'layout';
  /** Opens it (a registry's reference names the state tag, so it opens the repository). */
  ref: TransportRef;
  access?: AccessOptions | undefined;
}

/** What one owner (a source repository) selected in one destination, and what the run left there. */
export interface PruneScope {
  destination: PruneDestination;
  /** The source repository of the rules (`docker.io/library/nginx`): the owner recorded with the names. */
  owner: string;
  /** Every name its rules select now (resolved, copied or not). */
  selected: ReadonlySet<string>;
  /** Names the run copied or found already there, with the digest they hold now. */
  written: ReadonlyMap<string, Digest>;
  /** A selected image could not be resolved: what accompanies it (signatures) is unknown, so nothing of this owner is deleted here. */
  partial?: boolean | undefined;
}

export function registryDestination(registry: string, repository: string, access?: AccessOptions | undefined): PruneDestination {
  return {
    key: `docker://${registry}/${repository}`,
    kind: 'registry',
    ref: { transport: 'docker', ref: { registry, repository, tag: STATE_TAG } },
    ...(access !== undefined ? { access } : {}),
  };
}

export function layoutDestination(path: string): PruneDestination {
  const dir = resolve(path);
  return { key: `oci:${dir}`, kind: 'layout', ref: { transport: 'oci', path: dir } };
}

/** The full reference of a name in a destination, as deletions are printed (`docker://host/repo:tag`, `oci:/path:repo:tag`). */
export function describeName(destination: PruneDestination, name: string): string {
  if (destination.ref.transport === 'docker') return `docker://${formatReference({ ...destination.ref.ref, tag: name })}`;
  return `${destination.key}:${name}`;
}
