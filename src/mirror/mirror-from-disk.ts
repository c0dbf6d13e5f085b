import { join, resolve } from 'node:path';
import { FerryError } from '../errors.ts';
import { openLayoutStore } from '../transports/layout/index.ts';
import { importBundle, type ImportBundleResult } from './bundle/bundle-import.ts';
import type { ClusterResourcesOptions } from './cluster-resources.ts';
import { STORE_DIR, mirrorPaths } from './mirror-layout.ts';
import { pushStore, type PushStoreOptions, type PushStoreResult } from './mirror-push.ts';
import { writeClusterResources, writeKubernetesManifests } from './mirror-resources.ts';
import { verifyStore, type VerifyStoreResult } from './store/store-verify.ts';
import { pruneImported } from './bundle/bundle-prune.ts';
import { pushScopes } from './mirror-push-prune.ts';
import { prune, type PruneDeletion, type PruneResult } from '../sync/prune/prune.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';

export interface MirrorFromDiskOptions extends Omit<PushStoreOptions, 'signal'> {
  /** Import this bundle into `DIR/store` first. */
  bundle?: string | undefined;
  /** Where the IDMS, ITMS and registries.conf go (default `DIR/cluster-resources`). */
  resourcesDir?: string | undefined;
  /** Also write the Kubernetes manifests here (`--manifests-to-dir`). */
  manifestsDir?: string | undefined;
  resources?: ClusterResourcesOptions | undefined;
  signal?: AbortSignal | undefined;
  /** Called as each phase starts, for progress. */
  onPhase?: ((phase: 'import' | 'verify' | 'push' | 'resources') => void) | undefined;
  /**
   * Make the store and the mirror exact (`--prune`): the bundle's import
   * removes what its origin no longer lists, and the push deletes the mirror
   * tags an earlier pruning push wrote that the store no longer holds.
   */
  prune?: PruneSettings | undefined;
  onDeletion?: ((deletion: PruneDeletion) => void) | undefined;
}

export interface MirrorFromDiskResult {
  import?: ImportBundleResult | undefined;
  verify: VerifyStoreResult;
  push: PushStoreResult;
  resources: string[];
  manifests: string[];
  /** With `prune`: the store's deletions (with a bundle) and the mirror's. */
  storePrune?: PruneResult | undefined;
  mirrorPrune?: PruneResult | undefined;
}

/**
 * Disk to mirror: (imports the bundle into `DIR/store`,) verifies the store,
 * pushes every image to `REGISTRY/PREFIX/<source repository path>` with
 * digests unchanged — signatures and referrers included, as they are images
 * of the store — and writes the cluster resources mapping each source
 * repository to its mirror. A damaged store stops before anything is pushed.
 */
export async function mirrorFromDisk(dir: string, options: MirrorFromDiskOptions): Promise<MirrorFromDiskResult> {
  const paths = mirrorPaths(dir);
  const { bundle, resourcesDir, manifestsDir, resources: resourceOptions, onPhase, prune: pruning, onDeletion, ...push } = options;
  const pruneOptions = { ...pruning, signal: options.signal, onEvent: options.onEvent, onDeletion };
  let imported: ImportBundleResult | undefined;
  const store = await openLayoutStore(paths.store, { create: bundle !== undefined, signal: options.signal }).catch((error: unknown) => {
    if (error instanceof FerryError && error.code === 'NOT_FOUND') {
      throw new FerryError('NOT_FOUND', `${resolve(dir)} holds no mirror store (${join(dir, STORE_DIR)}): ${error.message}`, {
        hint: 'pass the directory ferry mirror --to-dir wrote, or --from-bundle with the bundle',
      });
    }
    throw error;
  });
  if (bundle !== undefined) {
    onPhase?.('import');
    imported = await importBundle(bundle, store, { signal: options.signal });
  }
  const storePrune = imported && pruning ? await pruneImported(imported.manifest, store, pruneOptions) : undefined;
  onPhase?.('verify');
  // An import verified every blob it wrote; a store carried as is gets every blob re-hashed.
  const verified = await verifyStore(store, { rehash: bundle === undefined, signal: options.signal });
  if (verified.problems.length > 0) {
    const first = verified.problems[0]!;
    throw new FerryError('CORRUPT', `oci:${store.dir} is damaged: ${first.detail}${first.images.length > 0 ? ` (breaks ${first.images.join(', ')})` : ''}${verified.problems.length > 1 ? `, and ${verified.problems.length - 1} more problem(s)` : ''}; nothing was pushed`, {
      hint: `ferry verify ${store.dir} lists every problem; bring the damaged content across again`,
    });
  }
  onPhase?.('push');
  const pushed = await pushStore(store, verified.graph.images, push);
  // A store the limit stopped pruning still holds what should go: the mirror is not pruned from it.
  const mirrorPrune = pruning && !storePrune?.stoppedBy ? await prune(pushScopes(pushed.images, push.access), pruneOptions) : undefined;
  onPhase?.('resources');
  const resources = await writeClusterResources(resourcesDir ?? paths.resources, pushed.mappings, resourceOptions);
  const manifests = manifestsDir !== undefined ? await writeKubernetesManifests(manifestsDir, pushed.mappings, resourceOptions) : [];
  return { import: imported, verify: verified, push: pushed, resources, manifests, storePrune, mirrorPrune };
}
