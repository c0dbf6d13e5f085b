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
 * read-only simply never calls the write verbs. The optional families that
 * need the store's other formats (the bundle-import record, its signatures)
 * come in `extras`, from whoever assembles it (the server may not read them).
 */
export function layoutBackend(store: LayoutStore, extras: Pick<RegistryBackend, 'imports' | 'signatures'> = {}): RegistryBackend {
  const catalog = new LayoutCatalog(store);
  return {
    imports: extras.imports,
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
    signatures: extras.signatures,
  };
}
