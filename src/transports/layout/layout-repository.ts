import type { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import { isRecord } from '../../util/json.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, manifestMediaTypeOf, type RawManifest } from '../../oci/manifest.ts';
import type {
  BlobGetOptions, BlobPutOptions, BlobPutResult, CallOptions, Capabilities, ManifestPutOptions, Repository,
} from '../../repository/repository.ts';
import { withTaggedEntry, withUntaggedEntry, withoutDigest, withoutTag } from './layout-entries.ts';
import { entryInRepository, entryTag, isValidRefName, isValidTag, refNameOf } from './layout-names.ts';
import type { LayoutStore } from './layout-store.ts';

/** What an OCI layout can do: any manifest type, indexes, parallel blob writes, one blob namespace. */
export const LAYOUT_CAPABILITIES: Capabilities = Object.freeze({
  manifestTypes: 'any',
  indexes: true,
  // Local disk: more parallel writers only add seeks.
  maxConcurrentBlobWrites: 8,
  crossRepoMount: true,
  blobsBeforeManifest: true,
  preservesDigests: true,
});


/** The manifest's `subject` digest when it is a referrer (it points at another manifest). */
function subjectOf(bytes: Uint8Array): string | undefined {
  try {
    const json: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
    const subject = isRecord(json) ? json['subject'] : undefined;
    return isRecord(subject) && typeof subject['digest'] === 'string' ? subject['digest'] : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One repository of a shared OCI layout store. `repository` '' addresses the
 * layout by bare names (reference = the full ref name, as `oci:/path:name`);
 * otherwise a reference is a tag or digest within `repository` and tags are
 * recorded as ref names `repository:tag`.
 *
 * Manifests put by digest are stored as blobs without an index entry (they are
 * children of an index put next), except referrers (manifests with a
 * `subject`), which would otherwise be unreachable: they get an untagged entry
 * annotated with the repository.
 */
export function layoutRepository(store: LayoutStore, repository: string): Repository {
  const where = (ref?: string): string => `oci:${store.dir}${ref === undefined ? '' : `:${refNameOf(repository, ref)}`}`;

  async function findTagged(tag: string): Promise<Descriptor | undefined> {
    const entries = await store.listEntries();
    // Later entries win, as a tag moved by another tool may have left a duplicate.
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      if (entryTag(e, repository) === tag) return e;
    }
    return undefined;
  }

  async function mediaTypeByDigest(digest: Digest, bytes?: Uint8Array): Promise<string> {
    const known = (await store.listEntries()).find((e) => e.digest === digest);
    if (known) return known.mediaType;
    const data = bytes ?? (await store.readBlob(digest, { maxBytes: MAX_MANIFEST_BYTES }));
    return manifestMediaTypeOf(data, where(digest));
  }

  function checkTag(tag: string): void {
    const ok = repository === '' ? isValidRefName(tag) : isValidTag(tag);
    if (!ok) throw new FerryError('INVALID_REFERENCE', `invalid ${repository === '' ? 'layout name' : 'tag'} "${tag}" for ${where()}`);
  }

  const repo: Repository = {
    display: `oci:${store.dir}`,
    storageId: `oci:${store.realDir}`,
    repository,
    capabilities: LAYOUT_CAPABILITIES,

    async blobHead(digest) {
      return store.blobSize(digest);
    },

    async blobGet(descriptor: Descriptor, options: BlobGetOptions = {}): Promise<Readable> {
      return store.openBlob(descriptor.digest, { signal: options.signal });
    },

    async blobPut(descriptor: Descriptor, data: Readable, options: BlobPutOptions = {}): Promise<BlobPutResult> {
      if (await store.hasBlob(descriptor.digest)) {
        data.destroy();
        return 'exists';
      }
      const result = await store.writeBlob(data, { digest: descriptor.digest, size: descriptor.size }, { signal: options.signal });
      return result === 'written' ? 'uploaded' : 'exists';
    },

    async blobMount(descriptor: Descriptor): Promise<boolean> {
      // One blob namespace for every repository of the layout: present means mounted.
      return store.hasBlob(descriptor.digest);
    },

    async manifestHead(reference: string): Promise<Descriptor | undefined> {
      if (isDigest(reference)) {
        const size = await store.blobSize(reference);
        if (size === undefined) return undefined;
        return { mediaType: await mediaTypeByDigest(reference), digest: reference, size };
      }
      const entry = await findTagged(reference);
      return entry && { mediaType: entry.mediaType, digest: entry.digest, size: entry.size };
    },

    async manifestGet(reference: string, options: CallOptions = {}): Promise<RawManifest> {
      let digest: Digest;
      let mediaType: string | undefined;
      if (isDigest(reference)) {
        digest = reference;
      } else {
        const entry = await findTagged(reference);
        if (!entry) throw new FerryError('NOT_FOUND', `manifest ${where(reference)} not found`);
        digest = entry.digest;
        mediaType = entry.mediaType;
      }
      let bytes: Uint8Array;
      try {
        bytes = await store.readBlob(digest, { maxBytes: MAX_MANIFEST_BYTES, signal: options.signal });
      } catch (error) {
        if (error instanceof FerryError && error.code === 'NOT_FOUND') {
          throw new FerryError('NOT_FOUND', `manifest ${digest} of ${where(reference)} not found`, { cause: error });
        }
        throw error;
      }
      if (digestOf(bytes, digestAlgorithm(digest)) !== digest) {
        throw new FerryError('CORRUPT', `manifest blob ${digest} in oci:${store.dir} does not match its digest`);
      }
      return { bytes, digest, mediaType: mediaType ?? (await mediaTypeByDigest(digest, bytes)) };
    },

    async manifestPut(reference: string, manifest: RawManifest, options: ManifestPutOptions = {}): Promise<void> {
      if (manifest.bytes.byteLength > MAX_MANIFEST_BYTES) {
        throw new FerryError('INVALID_MANIFEST', `manifest for ${where(reference)} is ${manifest.bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
      }
      const byDigest = isDigest(reference);
      if (byDigest && reference !== manifest.digest) {
        throw new FerryError('DIGEST_MISMATCH', `manifest ${manifest.digest} cannot be stored as ${reference} in ${where()}`);
      }
      if (!byDigest) checkTag(reference);
      await store.writeBlobBytes(manifest.bytes, manifest.digest, { signal: options.signal });
      const input = { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength };
      if (!byDigest) {
        await store.updateIndex((entries) => withTaggedEntry(entries, input, refNameOf(repository, reference), options.annotations), options);
      } else if (options.root === true || subjectOf(manifest.bytes) !== undefined) {
        await store.updateIndex((entries) => withUntaggedEntry(entries, input, repository, options.annotations), options);
      }
    },

    async manifestDelete(reference: string, options: CallOptions = {}): Promise<void> {
      let changed = false;
      await store.updateIndex((entries) => {
        const next = isDigest(reference) ? withoutDigest(entries, repository, reference) : withoutTag(entries, repository, reference);
        changed = next !== undefined;
        return next;
      }, options);
      if (!changed) throw new FerryError('NOT_FOUND', `manifest ${where(reference)} not found`);
    },

    async tagList(): Promise<string[]> {
      const tags = new Set<string>();
      for (const e of await store.listEntries()) {
        if (!entryInRepository(e, repository)) continue;
        const tag = entryTag(e, repository);
        if (tag !== undefined) tags.add(tag);
      }
      return [...tags].sort();
    },

    async commit() {},
    async close() {},
  };
  return repo;
}
