import { FerryError } from '../../../errors.ts';
import type { Descriptor } from '../../../oci/descriptor.ts';
import { digestAlgorithm, digestOf } from '../../../oci/digest.ts';
import { MAX_MANIFEST_BYTES } from '../../../oci/manifest.ts';
import { withTaggedEntry, withUntaggedEntry, withoutDigest, withoutTag, withoutUntagged } from '../../../transports/layout/layout-entries.ts';
import type { LayoutStore } from '../../../transports/layout/layout-store.ts';
import type { ManifestBackend, ManifestRef, ManifestRefusal, ManifestToStore } from '../manifest-backend.ts';
import type { LayoutCatalog } from './layout-catalog.ts';

/** The first reference that is absent or whose stored size differs from its descriptor. */
async function checkReferences(store: LayoutStore, references: readonly Descriptor[]): Promise<ManifestRefusal | undefined> {
  for (const descriptor of references) {
    const storedSize = await store.blobSize(descriptor.digest);
    if (storedSize === undefined) return { reason: 'missing', descriptor };
    if (storedSize !== descriptor.size) return { reason: 'size', descriptor, storedSize };
  }
  return undefined;
}

/**
 * Manifests of an OCI-layout store: bytes are blobs, tags and untagged
 * records are index.json entries (see {@link LayoutCatalog}). A put checks
 * its references and writes the index under one lock, the lock blob deletes
 * take too.
 */
export function layoutManifests(catalog: LayoutCatalog): ManifestBackend {
  const { store } = catalog;
  const stat = async (repository: string, ref: ManifestRef): Promise<Descriptor | undefined> => {
    const found = 'digest' in ref ? await catalog.manifestByDigest(repository, ref.digest) : await catalog.resolveTag(repository, ref.tag);
    if (!found) return undefined;
    const size = await store.blobSize(found.digest);
    return size === undefined ? undefined : { mediaType: found.mediaType, digest: found.digest, size };
  };

  return {
    stat: (repository, ref) => stat(repository, ref),

    async get(repository, ref, options = {}) {
      const descriptor = await stat(repository, ref);
      if (!descriptor) return undefined;
      let bytes: Uint8Array;
      try {
        bytes = await store.readBlob(descriptor.digest, { maxBytes: MAX_MANIFEST_BYTES, signal: options.signal });
      } catch (error) {
        if (error instanceof FerryError && error.code === 'NOT_FOUND') return undefined; // deleted since stat
        throw error;
      }
      if (digestOf(bytes, digestAlgorithm(descriptor.digest)) !== descriptor.digest) {
        throw new FerryError('CORRUPT', `stored manifest ${descriptor.digest} is corrupt`, { hint: 'run ferry verify on the store' });
      }
      return { descriptor: { ...descriptor, size: bytes.byteLength }, bytes };
    },

    async put(repository, ref, manifest: ManifestToStore, options = {}) {
      const { bytes, digest, summary } = manifest;
      // Checked first so a refused manifest leaves no bytes behind; checked again under the lock,
      // where it counts. The bytes are written in between: a fsync'd write should not hold the lock.
      const early = await checkReferences(store, manifest.references);
      if (early) return early;
      await store.writeBlobBytes(bytes, digest, { signal: options.signal });
      catalog.summaries.remember(digest, summary);
      const entry = { mediaType: summary.mediaType, digest, size: bytes.byteLength, artifactType: manifest.artifactType };
      let refusal: ManifestRefusal | undefined;
      await store.updateIndex(async (entries) => {
        refusal = await checkReferences(store, manifest.references);
        if (refusal) return undefined;
        // A concurrent blob DELETE may have taken the unreferenced manifest bytes before this lock.
        if (!(await store.hasBlob(digest))) await store.writeBlobBytes(bytes, digest, { signal: options.signal });
        if ('digest' in ref) return withUntaggedEntry(entries, entry, repository);
        const tagged = withTaggedEntry(entries, entry, `${repository}:${ref.tag}`);
        // A tagged index absorbs the untagged records of its children, which it now keeps reachable.
        return withoutUntagged(tagged, repository, new Set([digest, ...summary.children])) ?? tagged;
      }, { signal: options.signal });
      return refusal;
    },

    async delete(repository, ref, options = {}) {
      let changed = false;
      await store.updateIndex((entries) => {
        const next = 'digest' in ref ? withoutDigest(entries, repository, ref.digest) : withoutTag(entries, repository, ref.tag);
        changed = next !== undefined;
        return next;
      }, { signal: options.signal });
      if (changed) return 'deleted';
      if ('digest' in ref && (await catalog.manifestByDigest(repository, ref.digest))) return 'in-index';
      return 'absent';
    },
  };
}
