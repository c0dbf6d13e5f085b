import { FerryError } from '../errors.ts';
import { parseTransportRef, type TransportRef } from '../ref/transport-ref.ts';
import { formatReference } from '../ref/reference.ts';
import type { ImageTarget } from '../transport/repository.ts';
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
}

type Opener = (ref: TransportRef, options: OpenImageOptions) => Promise<ImageTarget>;

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

/** Transports by name. Each folder under src/transports provides one opener; the engine never looks at names. */
const OPENERS: Record<string, Opener> = {
  docker: openDocker,
};

/** Registers a transport's opener (used by the transport modules that are loaded lazily). */
export function registerTransport(name: string, opener: Opener): void {
  OPENERS[name] = opener;
}

/** Resolves `transport:reference` to a repository and the reference within it. */
export async function openImage(input: string | TransportRef, options: OpenImageOptions): Promise<ImageTarget> {
  const ref = typeof input === 'string' ? parseTransportRef(input) : input;
  const opener = OPENERS[ref.transport];
  if (!opener) throw new FerryError('UNSUPPORTED', `transport "${ref.transport}" is not available yet`);
  return opener(ref, options);
}
