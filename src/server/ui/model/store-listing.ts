import { createHash } from 'node:crypto';
import type { Descriptor } from '../../../oci/descriptor.ts';
import type { BackendCallOptions, RegistryBackend, RepositoryListing, StoreListing } from '../../backend/registry-backend.ts';
import { mapLimited } from '../../../util/pool.ts';

/** Backend calls in flight while a listing is assembled from the core verbs. */
const FALLBACK_CONCURRENCY = 8;

/**
 * The store's names: from the backend's `listing` family when it has one,
 * else assembled from the core verbs — `tags`, a `manifests.stat` per tag and
 * `referrers.list` per tagged manifest for the untagged ones — with a
 * generation hashed from what was seen, so equal stores still share caches.
 */
export async function storeListing(backend: RegistryBackend, options: BackendCallOptions = {}): Promise<StoreListing> {
  if (backend.listing) return backend.listing.list(options);
  const names = await backend.tags.repositories(options);
  const listed = await mapLimited(names, FALLBACK_CONCURRENCY, async (name): Promise<[string, RepositoryListing] | undefined> => {
    const tagNames = await backend.tags.tags(name, options);
    if (tagNames === undefined) return undefined;
    const tags = new Map<string, Descriptor>();
    for (const tag of tagNames) {
      const descriptor = await backend.manifests.stat(name, { tag }, options);
      if (descriptor) tags.set(tag, descriptor);
    }
    const untagged = new Map<string, Descriptor>();
    for (const descriptor of new Set([...tags.values()].map((d) => d.digest))) {
      for (const referrer of await backend.referrers.list(name, descriptor, options)) untagged.set(referrer.digest, referrer);
    }
    return [name, { tags, untagged: [...untagged.values()] }];
  }, options.signal);
  const repositories = new Map(listed.filter((r) => r !== undefined));
  const hash = createHash('sha256');
  for (const [name, repo] of repositories) {
    hash.update(`${name}\n`);
    for (const [tag, d] of repo.tags) hash.update(`${tag}=${d.digest}\n`);
    for (const d of repo.untagged) hash.update(`@${d.digest}\n`);
  }
  return { generation: `core:${hash.digest('hex')}`, repositories };
}
