import type { Descriptor } from '../../../oci/descriptor.ts';
import { entryRepository, entryTag } from '../../../transports/layout/layout-names.ts';
import type { RepositoryListing, StoreListing } from '../listing-backend.ts';

/** A store listing plus, per repository, its index.json entries in store order (what membership and referrers walk). */
export interface LayoutListing extends StoreListing {
  readonly entries: ReadonlyMap<string, readonly Descriptor[]>;
}

/**
 * Groups index.json entries by repository in one pass. A tag named twice
 * (another tool's duplicates) points at its last entry, as tag resolution
 * always did; entries outside any repository (bare ref names) are left out.
 */
export function buildLayoutListing(entries: readonly Descriptor[], generation: string): LayoutListing {
  const byRepo = new Map<string, Descriptor[]>();
  for (const entry of entries) {
    const repository = entryRepository(entry);
    if (repository === undefined) continue;
    let list = byRepo.get(repository);
    if (!list) {
      list = [];
      byRepo.set(repository, list);
    }
    list.push(entry);
  }
  const repositories = new Map<string, RepositoryListing>();
  const sortedEntries = new Map<string, readonly Descriptor[]>();
  for (const name of [...byRepo.keys()].sort()) {
    const list = byRepo.get(name)!;
    const tags = new Map<string, Descriptor>();
    const untagged: Descriptor[] = [];
    for (const entry of list) {
      const tag = entryTag(entry, name);
      if (tag === undefined) untagged.push(entry);
      else tags.set(tag, entry);
    }
    repositories.set(name, { tags: new Map([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))), untagged });
    sortedEntries.set(name, list);
  }
  return { generation, repositories, entries: sortedEntries };
}
