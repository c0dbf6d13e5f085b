import { resolve } from 'node:path';
import { FerryError } from '../errors.ts';
import { openDir } from './dir/index.ts';
import { openDockerArchive } from './docker-archive/index.ts';
import { layoutRepository, openLayoutStore, type LayoutStore } from './layout/index.ts';
import { openOciArchive } from './oci-archive/index.ts';
import { parseTransportRef, type TransportRef } from '../ref/transport-ref.ts';
import { formatReference } from '../ref/reference.ts';
import type { ImageTarget } from '../repository/repository.ts';
import type { RegistryAccessOptions } from './registry/access-options.ts';
import { RegistryPool } from './registry/registry-pool.ts';
import { RegistryRepository } from './registry/registry-repository.ts';

export interface OpenImageOptions {
  /** Source images are read; destinations are written (some transports create files). */
  role: 'source' | 'destination';
  /** Registry access for docker:// references. */
  access?: RegistryAccessOptions | undefined;
  /** Shared registry clients; without one, the target owns its client and closes it. */
  pool?: RegistryPool | undefined;
  /** The user-facing TLS flag for hints (`--src-tls-verify`). */
  tlsFlag?: string | undefined;
  signal?: AbortSignal | undefined;
  /** Layout stores already opened in this run, by path (sync opens the same layout for every image). */
  layouts?: Map<string, Promise<LayoutStore>> | undefined;
}

/** Opens one transport's reference as a repository and the image name within it. */
export type Opener = (ref: TransportRef, options: OpenImageOptions) => Promise<ImageTarget>;

const openDocker: Opener = async (ref, options) => {
  if (ref.transport !== 'docker') throw new Error('unreachable');
  const { registry, repository, tag, digest } = ref.ref;
  const pool = options.pool ?? new RegistryPool();
  const client = await pool.client(registry, options.access ?? {}, options.tlsFlag);
  const repo = new RegistryRepository(client, repository, { ownsClient: options.pool === undefined });
  // A source is read by digest when one is given (name:tag@digest); a destination keeps the tag.
  const reference = options.role === 'source' ? (digest ?? tag ?? 'latest') : (tag ?? digest ?? 'latest');
  return { repository: repo, reference, display: `docker://${formatReference(ref.ref)}` };
};

const openLayout: Opener = async (ref, options) => {
  if (ref.transport !== 'oci') throw new Error('unreachable');
  // A destination layout is created on first use; a source must exist.
  const path = resolve(ref.path);
  let opening = options.layouts?.get(path);
  if (!opening) {
    opening = openLayoutStore(path, { create: options.role === 'destination', signal: options.signal });
    options.layouts?.set(path, opening);
  }
  const store = await opening;
  return { repository: layoutRepository(store, ''), reference: ref.name, display: `oci:${ref.path}${ref.name === undefined ? '' : `:${ref.name}`}` };
};

/** Transports by name. Each folder under src/transports provides one opener; the engine never looks at names. */
const OPENERS: Record<string, Opener> = {
  docker: openDocker,
  oci: openLayout,
  'oci-archive': openOciArchive,
  dir: openDir,
  'docker-archive': openDockerArchive,
};

/** Resolves `transport:reference` to a repository and the reference within it. */
export async function openImage(input: string | TransportRef, options: OpenImageOptions): Promise<ImageTarget> {
  const ref = typeof input === 'string' ? parseTransportRef(input) : input;
  const opener = OPENERS[ref.transport];
  if (!opener) throw new FerryError('UNSUPPORTED', `transport "${ref.transport}" is not available yet`);
  return opener(ref, options);
}
