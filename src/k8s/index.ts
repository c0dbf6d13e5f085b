/** Kubernetes / OpenShift migration: scanning exported resources, sync-gen, image reference rewriting, mirror config. */
export { findImageFields, formatPath } from './image-fields.ts';
export type { ImageField, ImageRefKind, ImageRole } from './image-fields.ts';
export {
  listResourceFiles,
  loadResourceFile,
  parseResourceText,
  resourceObjects,
  RESOURCE_EXTENSIONS,
  SKIPPED_DIRECTORY,
} from './resource-files.ts';
export type { ResourceFile, ResourceFileError, ResourceObject } from './resource-files.ts';
export { scanResourceFile, scanResources } from './scan.ts';
export type { ImageUse, ScanOptions, ScanResult, ScannedFile } from './scan.ts';
export { formatScanJson, formatScanTable } from './scan-format.ts';
export {
  classifyImageStreamTags,
  DEFAULT_INTERNAL_REGISTRIES,
  OPENSHIFT3_INTERNAL_REGISTRY,
  OPENSHIFT4_INTERNAL_REGISTRY,
  registryHost,
} from './image-stream-classes.ts';
export type { ClassifyOptions, ImageClass, TagClassification } from './image-stream-classes.ts';
export { checkRegistryUrl, formatExplain, syncGen, syncYaml } from './sync-gen.ts';
export type { SyncGenOptions, SyncGenResult, SyncYamlOptions } from './sync-gen.ts';
export { applyReplaceRules, matchPrefix, orderRules, parseReplaceRule } from './replace-rules.ts';
export type { ReplaceRule } from './replace-rules.ts';
export { digestPins, pinDigest } from './digest-pins.ts';
export type { DigestPins } from './digest-pins.ts';
export { parseSyncReport, readSyncReport, reportReference } from './sync-report.ts';
export type { ReportImage } from './sync-report.ts';
export { rewriteText } from './rewrite.ts';
export type { FileRewrite, ImageChange, RewriteRules } from './rewrite.ts';
export { formatRewriteDiff, formatRewriteSummary, rewriteResources } from './rewrite-files.ts';
export type { RewriteFilesOptions, RewriteFilesResult, RewriteOutput, RewrittenFile } from './rewrite-files.ts';
export { diffLines, unifiedDiff } from './line-diff.ts';
export { mappingsFromReport, writeMirrorConfig } from './report-mirror-config.ts';
export type { MirrorConfigOptions } from './report-mirror-config.ts';
export { formatRegistryInfo, registryInfoFromExport, registryInfoFromObjects } from './registry-info.ts';
export type { ClusterObject, RegistryHostSource, RegistryInfo, RegistryInfoExportResult } from './registry-info.ts';
export { readKubeconfig } from './kubeconfig.ts';
export type { ClusterConnection, KubeconfigOptions } from './kubeconfig.ts';
export { fetchRegistryObjects, REGISTRY_OBJECT_PATHS } from './cluster-registry-objects.ts';
