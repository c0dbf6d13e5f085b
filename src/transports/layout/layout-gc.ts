import { stat } from 'node:fs/promises';
import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { walkStore } from './layout-graph.ts';
import type { LayoutStore } from './layout-store.ts';

/** Blobs younger than this are never collected: a writer puts blobs before the manifest and index entry that reference them. */
export const GC_GRACE_MS = 60 * 60_000;

export interface ReferencedSet {
  /** Every blob reachable from index.json: manifests, children, configs, layers, referrers' subjects. */
  referenced: Set<Digest>;
  /** Reachable digests whose blob is not in the store (an incomplete or damaged layout). */
  missing: Set<Digest>;
}

/**
 * Every digest reachable from index.json (see {@link walkStore}). An
 * unreadable manifest stops the walk with its error: its children would
 * otherwise look unreferenced, and a collector must never guess.
 */
export async function referencedBlobs(store: LayoutStore, options: { signal?: AbortSignal | undefined } = {}): Promise<ReferencedSet> {
  const graph = await walkStore(store, options);
  const invalid = graph.problems.find((p) => p.kind === 'invalid-manifest');
  if (invalid) throw new FerryError('INVALID_MANIFEST', invalid.detail);
  const missing = new Set(graph.problems.filter((p) => p.kind === 'missing').map((p) => p.digest));
  return { referenced: new Set(graph.nodes.keys()), missing };
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
