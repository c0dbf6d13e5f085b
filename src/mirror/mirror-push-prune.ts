import { isDigest, type Digest } from '../oci/digest.ts';
import { parseReference } from '../ref/reference.ts';
import type { AccessOptions } from '../repository/access.ts';
import { registryDestination, type PruneDestination, type PruneScope } from '../sync/prune/prune-destination.ts';
import { splitRefName } from '../transports/layout/index.ts';
import type { PushedImage } from './mirror-push.ts';

function referenceOf(text: string | undefined): ReturnType<typeof parseReference> | undefined {
  if (text === undefined || text === '') return undefined;
  try {
    return parseReference(text);
  } catch {
    return undefined;
  }
}

/**
 * What a store push selected in each mirror repository, per owner — the
 * source repository an image records (else its store repository) — and
 * what it left there: every tagged image of the store is selected, pushed or
 * not; images pushed by digest have no name to prune.
 */
export function pushScopes(images: readonly PushedImage[], access: AccessOptions | undefined): PruneScope[] {
  const scopes = new Map<string, { destination: PruneDestination; owner: string; selected: Set<string>; written: Map<string, Digest> }>();
  for (const image of images) {
    const target = referenceOf(image.destination);
    if (target?.tag === undefined) continue;
    const source = referenceOf(image.source);
    const owner = source ? `${source.registry}/${source.repository}` : `oci-store:${splitRefName(image.name)?.repository ?? image.name}`;
    const destination = registryDestination(target.registry, target.repository, access);
    const key = `${destination.key} ${owner}`;
    let scope = scopes.get(key);
    if (!scope) scopes.set(key, (scope = { destination, owner, selected: new Set(), written: new Map() }));
    scope.selected.add(target.tag);
    if ((image.status === 'copied' || image.status === 'skipped') && isDigest(image.digest)) scope.written.set(target.tag, image.digest);
  }
  return [...scopes.values()];
}
