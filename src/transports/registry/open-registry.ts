import type { AccessOptions } from '../../repository/access.ts';
import type { Opener } from '../../repository/opener.ts';
import { RegistryPool, sessionPool } from './registry-pool.ts';
import { RegistryRepository } from './registry-repository.ts';
import { registryNaming } from './registry-naming.ts';

/**
 * One repository of a registry, with the client `pool` shares for this
 * registry and access (connections, tokens). The pool owns the client.
 */
export async function openRegistryRepository(
  pool: RegistryPool,
  registry: string,
  repository: string,
  access: AccessOptions = {},
  tlsFlag?: string,
): Promise<RegistryRepository> {
  const client = await pool.client(registry, access, tlsFlag);
  return new RegistryRepository(client, repository, { ownsClient: false });
}

/** Opens `docker://REF`. A source is read by digest when one is given (name:tag@digest); a destination keeps the tag. */
export const openRegistry: Opener<'docker'> = async (ref, options) => {
  const { registry, repository, tag, digest } = ref.ref;
  let repo: RegistryRepository;
  if (options.session) {
    repo = await openRegistryRepository(sessionPool(options.session), registry, repository, options.access, options.tlsFlag);
  } else {
    // Alone, the repository owns its client and closes it.
    const client = await new RegistryPool().client(registry, options.access ?? {}, options.tlsFlag);
    repo = new RegistryRepository(client, repository, { ownsClient: true });
  }
  const reference = options.role === 'source' ? (digest ?? tag ?? 'latest') : (tag ?? digest ?? 'latest');
  return { repository: repo, reference, display: registryNaming.display(ref) };
};
