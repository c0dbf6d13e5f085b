import type { Digest } from '../../oci/digest.ts';
import { collectGarbage, type LayoutStore } from '../../transports/layout/index.ts';

export interface GcStoreOptions {
  /** Report only; delete nothing. */
  dryRun?: boolean | undefined;
  /** Keep unreferenced blobs younger than this (default: layout-gc's grace period, which protects writers in progress). */
  graceMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

export interface GcStoreResult {
  /** Blobs deleted (or, for a dry run, that would be). */
  deleted: Digest[];
  /** Their total size. */
  bytes: number;
}

/**
 * Removes the blobs of a store that no image references (see layout-gc for
 * the walk and the grace period), and says how much space that frees.
 */
export async function gcStore(store: LayoutStore, options: GcStoreOptions = {}): Promise<GcStoreResult> {
  // Sizes first: once deleted a blob cannot be measured, and a blob's size never changes under its digest.
  const sizes = new Map<Digest, number>();
  for (const digest of await store.listBlobs()) {
    const size = await store.blobSize(digest).catch(() => undefined);
    if (size !== undefined) sizes.set(digest, size);
  }
  const deleted = await collectGarbage(store, { dryRun: options.dryRun, graceMs: options.graceMs, signal: options.signal });
  return { deleted, bytes: deleted.reduce((sum, d) => sum + (sizes.get(d) ?? 0), 0) };
}
