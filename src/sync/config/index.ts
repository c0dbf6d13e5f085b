/** `ferry sync` inputs: every format parsed and validated into one {@link SyncSpec}. Pure, except `loadSyncInput` reading files. */
export { loadSyncInput, mergeSyncSpecs, MAX_CONFIG_BYTES } from './load.ts';
export type { LoadSyncInputOptions, SyncInput } from './load.ts';
export { parseSkopeoYaml } from './skopeo-yaml.ts';
export { sideOptions, skopeoDestination, skopeoDockerSource, skopeoLayoutSource } from './skopeo-cli.ts';
export type { SkopeoDestTransport, SkopeoSideFlags, SkopeoSyncFlags, SkopeoTarget } from './skopeo-cli.ts';
export { parseImageSyncer } from './image-syncer.ts';
export type { ImageSyncerOptions } from './image-syncer.ts';
export { parseOcMapping } from './oc-mapping.ts';
export type { OcMappingOptions } from './oc-mapping.ts';
export { parseFerryYaml } from './ferry-yaml.ts';
export type { FerryYamlOptions } from './ferry-yaml.ts';
export { mergeOptions, parseBandwidth, resolveRegistryOptions, scopeCovers } from './registry-options.ts';
export { expandEnv } from './env-expand.ts';
export type { Environment } from './env-expand.ts';
export { Secret } from './secret.ts';
export { COMMAND_LINE, formatOrigin } from './sync-spec.ts';
export type {
  CatalogSource,
  ConfigWarning,
  Credentials,
  Destination,
  DestinationLocation,
  ExplicitTags,
  FlattenLevel,
  LayoutSource,
  Naming,
  NewestTags,
  Origin,
  PlatformFilter,
  RegexSpec,
  RegistryEntry,
  RegistryOptions,
  RepositoryFilter,
  RepositorySource,
  Source,
  SourceRule,
  SyncDefaults,
  SyncSpec,
  TagFilter,
  TagSelector,
} from './sync-spec.ts';
