import type { SyncSpec } from '../sync/config/sync-spec.ts';
import type { SyncOptions } from '../sync/sync.ts';
import { openLayoutStore } from '../transports/layout/index.ts';
import { createBundle, type CreateBundleOptions, type CreateBundleResult } from './bundle/bundle-create.ts';
import type { BundleManifest } from './bundle/bundle-format.ts';
import { readBundleManifest } from './bundle/bundle-format.ts';
import { withDestination } from './mirror-input.ts';
import { mirrorPaths } from './mirror-layout.ts';
import { mirrorSync, type MirrorSyncResult } from './mirror-sync.ts';

export interface MirrorToDiskOptions extends Omit<SyncOptions, 'signal'> {
  /** The previous bundle (directory or bundle.json): the new bundle carries only what it did not. */
  since?: string | undefined;
  /** Largest bundle part in bytes. */
  maxSize?: number | undefined;
  signal?: AbortSignal | undefined;
  onWarning?: CreateBundleOptions['onWarning'];
  onPart?: CreateBundleOptions['onPart'];
}

export interface MirrorToDiskResult {
  sync: MirrorSyncResult;
  bundle: CreateBundleResult;
  store: string;
}

/**
 * Mirror to disk: syncs every image the spec selects (all platforms, digests
 * unchanged) into `DIR/store` — one OCI layout, each blob once, named
 * `<source repository path>:<tag>` with the full source reference recorded —
 * together with their signatures, then writes `DIR/bundle` from the store.
 * Re-running after an interruption skips what the store already holds. A
 * finished bundle already in `DIR/bundle` is replaced (its bundle.json is
 * read first when it is also `since`).
 */
export async function mirrorToDisk(spec: SyncSpec, dir: string, options: MirrorToDiskOptions = {}): Promise<MirrorToDiskResult> {
  const paths = mirrorPaths(dir);
  const { since, maxSize, onWarning, onPart, ...syncOptions } = options;
  // Read before anything is replaced: --since may name DIR/bundle itself.
  const previous: BundleManifest | undefined = since !== undefined ? await readBundleManifest(since, { signal: options.signal }) : undefined;
  const store = await openLayoutStore(paths.store, { create: true, signal: options.signal });
  const result = await mirrorSync(withDestination(spec, { kind: 'store', layout: paths.store }), syncOptions);
  const bundle = await createBundle(store, paths.bundle, { since: previous, maxSize, overwrite: true, signal: options.signal, onWarning, onPart });
  return { sync: result, bundle, store: paths.store };
}
