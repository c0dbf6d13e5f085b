/** Air-gapped mirroring: store checks and repair, garbage collection, bundles, and the three mirror workflows. */
export { verifyStore, hashStoredBlob, DEFAULT_VERIFY_CONCURRENCY } from './store/store-verify.ts';
export type { StoreProblem, VerifyStoreOptions, VerifyStoreResult } from './store/store-verify.ts';
export { repairStore, replaceBlob } from './store/store-repair.ts';
export type { RepairStoreOptions, RepairStoreResult } from './store/store-repair.ts';
export { walkStore, imageName } from '../transports/layout/layout-graph.ts';
export type { StoreGraph, StoreImage, GraphNode, GraphProblem, BlobRole } from '../transports/layout/layout-graph.ts';
export { gcStore } from './store/store-gc.ts';
export type { GcStoreOptions, GcStoreResult } from './store/store-gc.ts';
export { createBundle, bundleSize, DEFAULT_MAX_PART_SIZE } from './bundle/bundle-create.ts';
export type { CreateBundleOptions, CreateBundleResult } from './bundle/bundle-create.ts';
export { verifyBundle } from './bundle/bundle-verify.ts';
export type { BundleProblem, VerifyBundleOptions, VerifyBundleResult } from './bundle/bundle-verify.ts';
export { importBundle, mergeEntries } from './bundle/bundle-import.ts';
export type { ImportBundleOptions, ImportBundleResult } from './bundle/bundle-import.ts';
export { readBundleManifest, parseBundleManifest, BUNDLE_FILE, partName } from './bundle/bundle-format.ts';
export type { BundleManifest, BundleImage, BundleBlob, BundlePart } from './bundle/bundle-format.ts';
export { readBundleHistory, BUNDLE_HISTORY_FILE } from './bundle/bundle-history.ts';
export type { ImportedBundle } from './bundle/bundle-history.ts';
export { parseSize } from '../util/size.ts';
export { loadMirrorConfig, detectMirrorConfigFormat, withDestination } from './mirror-input.ts';
export type { MirrorConfigFormat, MirrorTarget, LoadMirrorConfigOptions } from './mirror-input.ts';
export { mirrorSync, planMappings } from './mirror-sync.ts';
export type { MirrorSyncResult } from './mirror-sync.ts';
export { pushStore, planPush } from './mirror-push.ts';
export type { PushStoreOptions, PushStoreResult, PushedImage } from './mirror-push.ts';
export { mirrorToDisk } from './mirror-to-disk.ts';
export type { MirrorToDiskOptions, MirrorToDiskResult } from './mirror-to-disk.ts';
export { mirrorFromDisk } from './mirror-from-disk.ts';
export type { MirrorFromDiskOptions, MirrorFromDiskResult } from './mirror-from-disk.ts';
export { mirrorToRegistry } from './mirror-to-registry.ts';
export type { MirrorToRegistryOptions, MirrorToRegistryResult } from './mirror-to-registry.ts';
export { writeClusterResources, writeKubernetesManifests } from './mirror-resources.ts';
export { mirrorPaths, STORE_DIR, BUNDLE_DIR, RESOURCES_DIR } from './mirror-layout.ts';
export {
  clusterResources, imageContentSourcePolicy, imageDigestMirrorSet, imageTagMirrorSet, registriesConf, DEFAULT_MIRROR_SET_NAME, ICSP_FILE, IDMS_FILE, ITMS_FILE,
  KUBERNETES_RESOURCE_FILES, REGISTRIES_CONF_FILE,
} from './cluster-resources.ts';
export type { RepositoryMapping, ClusterResourcesOptions, ClusterResourceFile } from './cluster-resources.ts';
