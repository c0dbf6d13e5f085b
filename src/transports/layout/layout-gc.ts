import { stat } from 'node:fs/promises';
import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.ts';
import { isIndexMediaType, isImageMediaType } from '../../oci/media-types.ts';
import type { LayoutStore } from './layout-store.ts';

/** Blobs younger than this are never collected: a writer puts blobs before the manifest and index entry that reference them. */
export const GC_GRACE_MS = 60 * 60_000;

export interface ReferencedSet {
  /** Every blob reachable from index.json: manifests, children, configs, layers. */
  referenced: Set<Digest>;
  /** Reachable digests whose blob is not in the store (an incomplete or damaged layout). */
  missing: Set<Digest>;
}

/** Walks index.json → manifests → children/config/layers and returns every reachable digest. */
export async function referencedBlobs(store: LayoutStore, options: { signal?: AbortSignal | undefined } = {}): Promise<ReferencedSet> {
  const referenced = new Set<Digest>();
  const missing = new Set<Digest>();
  const queue: Descriptor[] = [...(await store.listEntries())];
  while (queue.length > 0) {
    throwIfAborted(options.signal);
    const d = queue.pop()!;
    if (referenced.has(d.digest)) continue;
    referenced.add(d.digest);
    if (!isIndexMediaType(d.mediaType) && !isImageMediaType(d.mediaType)) continue;
    let bytes: Uint8Array;
    try {
      bytes = await store.readBlob(d.digest, { maxBytes: MAX_MANIFEST_BYTES });
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') {
        missing.add(d.digest);
        continue;
      }
      throw error;
    }
    const parsed = parseManifest(bytes, d.mediaType, `oci:${store.dir}@${d.digest}`);
    if (parsed.kind === 'index') queue.push(...parsed.index.manifests);
    else queue.push(parsed.manifest.config, ...parsed.manifest.layers);
  }
  for (const digest of referenced) {
    if (!missing.has(digest) && !(await store.hasBlob(digest))) missing.add(digest);
  }
  return { referenced, missing };
}

export interface CollectGarbageOptions {
  signal?: AbortSignal | undefined;
  /** Only report what would be deleted. */
  dryRun?: boolean | undefined;
  /** Keep unreferenced blobs younger than this many milliseconds (default {@link GC_GRACE_MS}). */
  graceMs?: number | undefined;
}

/** Deletes blobs nothing in index.json reaches (older than the grace period). Returns the deleted digests. */
export async function collectGarbage(store: LayoutStore, options: CollectGarbageOptions = {}): Promise<Digest[]> {
  const { referenced } = await referencedBlobs(store, options);
  const cutoff = Date.now() - (options.graceMs ?? GC_GRACE_MS);
  const deleted: Digest[] = [];
  for (const digest of await store.listBlobs()) {
    throwIfAborted(options.signal);
    if (referenced.has(digest)) continue;
    const st = await stat(store.blobPath(digest)).catch(() => undefined);
    if (!st || st.mtimeMs > cutoff) continue;
    if (!options.dryRun) await store.deleteBlob(digest);
    deleted.push(digest);
  }
  return deleted;
}
