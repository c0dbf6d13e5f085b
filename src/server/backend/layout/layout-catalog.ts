import type { Descriptor } from '../../../oci/descriptor.ts';
import type { Digest } from '../../../oci/digest.ts';
import { MAX_MANIFEST_BYTES } from '../../../oci/manifest.ts';
import type { LayoutStore } from '../../../transports/layout/layout-store.ts';
import { ManifestSummaries } from '../manifest-summary.ts';
import { buildLayoutListing, type LayoutListing } from './layout-listing.ts';

/** Nesting depth followed when deciding which manifests a repository holds (indexes of indexes are rare). */
const MAX_INDEX_DEPTH = 4;

/**
 * The registry's view of a shared layout store: repositories are derived from
 * index.json entries (ref names `repo:tag`, and untagged entries annotated with
 * their repository); a manifest belongs to a repository when an entry of the
 * repository names it or an index of the repository lists it. Blobs are one
 * namespace shared by every repository.
 */
export class LayoutCatalog {
  readonly store: LayoutStore;
  readonly summaries: ManifestSummaries;
  // Per index.json generation (the entries array changes identity on every write).
  #listings = new WeakMap<readonly Descriptor[], LayoutListing>();
  #generations = 0;
  #members = new WeakMap<LayoutListing, Map<string, Promise<Map<Digest, string | undefined>>>>();

  constructor(store: LayoutStore) {
    this.store = store;
    this.summaries = new ManifestSummaries(async (digest) => {
      try {
        return await store.readBlob(digest, { maxBytes: MAX_MANIFEST_BYTES });
      } catch {
        return undefined; // absent or too large to be a manifest
      }
    });
  }

  /**
   * The entries grouped by repository, built once per index.json generation:
   * every listing question (catalog, tags, a tag's entry, referrers) is then
   * a lookup instead of a pass over the whole index.
   */
  async listing(): Promise<LayoutListing> {
    const entries = await this.store.listEntries();
    let listing = this.#listings.get(entries);
    if (!listing) {
      listing = buildLayoutListing(entries, String(++this.#generations));
      this.#listings.set(entries, listing);
    }
    return listing;
  }

  /** Every repository name, sorted. */
  async repositories(): Promise<string[]> {
    return [...(await this.listing()).repositories.keys()];
  }

  /** Tags of a repository, sorted; undefined when the repository does not exist. */
  async tags(name: string): Promise<string[] | undefined> {
    const repository = (await this.listing()).repositories.get(name);
    return repository ? [...repository.tags.keys()] : undefined;
  }

  /** The entry a tag points at (the last one, should another tool have left duplicates). */
  async resolveTag(name: string, tag: string): Promise<Descriptor | undefined> {
    return (await this.listing()).repositories.get(name)?.tags.get(tag);
  }

  /** Descriptor of a manifest held by the repository (by entry or as a child of one of its indexes), else undefined. */
  async manifestByDigest(name: string, digest: Digest): Promise<Descriptor | undefined> {
    const members = await this.#membersOf(name);
    if (!members.has(digest)) return undefined;
    const size = await this.store.blobSize(digest);
    if (size === undefined) return undefined;
    const mediaType = members.get(digest) ?? (await this.summaries.get(digest))?.mediaType;
    return mediaType === undefined ? undefined : { mediaType, digest, size };
  }

  /** Descriptors of the repository's manifests whose subject is `digest`, as the referrers API lists them. */
  async referrers(name: string, digest: Digest, artifactType?: string): Promise<Descriptor[]> {
    const out: Descriptor[] = [];
    const seen = new Set<string>();
    for (const e of (await this.listing()).entries.get(name) ?? []) {
      if (seen.has(e.digest)) continue;
      seen.add(e.digest);
      const s = await this.summaries.get(e.digest, e.mediaType);
      if (!s || s.subject !== digest) continue;
      if (artifactType !== undefined && s.artifactType !== artifactType) continue;
      const d: Descriptor = { mediaType: s.mediaType, digest: e.digest, size: s.size };
      if (s.artifactType !== undefined) d.artifactType = s.artifactType;
      if (s.annotations !== undefined) d.annotations = s.annotations;
      out.push(d);
    }
    return out;
  }

  /** Digest → media type (when an entry records it) of every manifest the repository holds. */
  async #membersOf(name: string): Promise<Map<Digest, string | undefined>> {
    const listing = await this.listing();
    let byRepo = this.#members.get(listing);
    if (!byRepo) {
      byRepo = new Map();
      this.#members.set(listing, byRepo);
    }
    let members = byRepo.get(name);
    if (!members) {
      members = this.#computeMembers(listing.entries.get(name) ?? []);
      byRepo.set(name, members);
    }
    return members;
  }

  async #computeMembers(entries: readonly Descriptor[]): Promise<Map<Digest, string | undefined>> {
    const members = new Map<Digest, string | undefined>();
    let frontier: Digest[] = [];
    for (const e of entries) {
      members.set(e.digest, e.mediaType);
      frontier.push(e.digest);
    }
    for (let depth = 0; depth < MAX_INDEX_DEPTH && frontier.length > 0; depth++) {
      const next: Digest[] = [];
      for (const digest of frontier) {
        const s = await this.summaries.get(digest, members.get(digest));
        for (const child of s?.children ?? []) {
          if (members.has(child)) continue;
          members.set(child, undefined);
          next.push(child);
        }
      }
      frontier = next;
    }
    return members;
  }
}
