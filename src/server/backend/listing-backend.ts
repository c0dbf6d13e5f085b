import type { Descriptor } from '../../oci/descriptor.ts';
import type { BackendCallOptions } from './blob-backend.ts';

/** What one repository names at a moment: its tags and its untagged manifests (pushed by digest: referrers, signatures). */
export interface RepositoryListing {
  /** Tag → the descriptor it points at, with the store's annotations (`io.ferry.source` among them); sorted by tag. */
  readonly tags: ReadonlyMap<string, Descriptor>;
  /** Manifests the repository records without a tag, in store order. */
  readonly untagged: readonly Descriptor[];
}

/** Every repository of a store at one moment. */
export interface StoreListing {
  /**
   * Changes whenever a tag or a manifest record changes, and only then: two
   * listings with the same generation are equal, so callers may cache what
   * they derive from one (sizes, counts) until the generation moves.
   */
  readonly generation: string;
  /** Repository name → its listing, sorted by name; a repository holds at least one manifest. */
  readonly repositories: ReadonlyMap<string, RepositoryListing>;
}

/**
 * An optional, read-only family of a {@link RegistryBackend} for browsing
 * (the web UI): the names of the whole store in one call, instead of one
 * `tags` call per repository and one `stat` per tag. A backend without it is
 * browsed through the core verbs, with no caching between requests.
 */
export interface ListingBackend {
  list(options?: BackendCallOptions): Promise<StoreListing>;
}
