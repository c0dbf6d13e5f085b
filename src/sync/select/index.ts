/** Pure helpers the sync engine calls after listing: tag selection, naming, platforms, sharding. No I/O. */
export { DEFAULT_CREATED_CONCURRENCY, filterTags, needsTagList, selectTags } from './select-tags.ts';
export type { SelectTagsOptions } from './select-tags.ts';
export { compileGlob, filterRepositories, globProblem, isGlob, matchesAny, repositoryMatches } from './glob.ts';
export type { Matcher } from './glob.ts';
export { compareTagsByVersionDesc, compileVersionRange, parseTagVersion, versionMatcher, versionRangeProblem } from './semver-match.ts';
export type { VersionMatcher } from './semver-match.ts';
export { regexOf, translateGoRegex } from './go-regex.ts';
export { destinationFor, destinationsFor, formatTarget } from './destination.ts';
export type { TargetImage } from './destination.ts';
export { flattenRepository } from './flatten.ts';
export { layoutImageOf, repositoryKey } from './source-image.ts';
export type { SourceImage } from './source-image.ts';
export { inShard, parseShard, shardOf } from './shard.ts';
export type { Shard } from './shard.ts';
export { findDestinationConflicts } from './conflicts.ts';
export type { DestinationConflict, PlannedCopy } from './conflicts.ts';
