import type { LayoutStore } from '../../../transports/layout/layout-store.ts';
import type { RegistryBackend } from '../registry-backend.ts';
import { layoutBlobs } from './layout-blobs.ts';
import { LayoutCatalog } from './layout-catalog.ts';
import { layoutManifests } from './layout-manifests.ts';
import { layoutUploads } from './layout-uploads.ts';

/**
 * The OCI-layout store as a registry backend: the same store `ferry sync
 * --dest oci`, mirrors and bundle imports write, served without conversion.
 * Repositories and tags live in index.json entries, blobs (manifests
 * included) in one content-addressed namespace shared by every repository.
 * Every verb is supported, and the `listing` family; a server started
 * read-only simply never calls the write verbs. `extra.imports` adds the
 * bundle-import record, which the mirror code reads (the server may not).
 */
export function layoutBackend(store: LayoutStore, extra: Pick<RegistryBackend, 'imports'> = {}): RegistryBackend {
  const catalog = new LayoutCatalog(store);
  return {
    ...extra,
    description: store.dir,
    blobs: layoutBlobs(store),
    manifests: layoutManifests(catalog),
    tags: {
      repositories: () => catalog.repositories(),
      tags: (repository) => catalog.tags(repository),
    },
    referrers: {
      list: (repository, digest, options = {}) => catalog.referrers(repository, digest, options.artifactType),
    },
    uploads: layoutUploads(store),
    listing: { list: () => catalog.listing() },
  };
}
