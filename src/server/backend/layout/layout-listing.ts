import type { Descriptor } from '../../../oci/descriptor.ts';
import { ANNOTATION_REPOSITORY, entryRefName, splitRefName } from '../../../transports/layout/layout-names.ts';
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
  const byRepo = new Map<string, { entries: Descriptor[]; tags: Array<[string, Descriptor]>; untagged: Descriptor[] }>();
  for (const entry of entries) {
    // The ref name is split once per entry (the grammar checks are most of the cost on a large index).
    const ref = entryRefName(entry);
    const split = ref === undefined ? undefined : splitRefName(ref);
    const repository = ref === undefined ? entry.annotations?.[ANNOTATION_REPOSITORY] : split?.repository;
    if (repository === undefined) continue;
    let repo = byRepo.get(repository);
    if (!repo) {
      repo = { entries: [], tags: [], untagged: [] };
      byRepo.set(repository, repo);
    }
    repo.entries.push(entry);
    if (split) repo.tags.push([split.tag, entry]);
    else repo.untagged.push(entry);
  }
  const repositories = new Map<string, RepositoryListing>();
  const sortedEntries = new Map<string, readonly Descriptor[]>();
  for (const name of [...byRepo.keys()].sort()) {
    const repo = byRepo.get(name)!;
    // A stable sort keeps duplicates in store order, so the Map keeps the last entry of a tag.
    repo.tags.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    repositories.set(name, { tags: new Map(repo.tags), untagged: repo.untagged });
    sortedEntries.set(name, repo.entries);
  }
  return { generation, repositories, entries: sortedEntries };
}
