export { openLayoutStore, LayoutStore, DEFAULT_READ_LIMIT, MAX_INDEX_BYTES, MAX_LAYOUT_FILE_BYTES } from './layout-store.ts';
export type { OpenLayoutStoreOptions, WriteBlobOptions, OpenBlobOptions, WriteBlobResult } from './layout-store.ts';
export { layoutRepository, LAYOUT_CAPABILITIES } from './layout-repository.ts';
export { openLayout, openSessionLayout } from './open-layout.ts';
export {
  ANNOTATION_REPOSITORY, entrySource, isValidRepository, isValidTag, isValidRefName, refNameOf, splitRefName, entryRefName, entryRepository, entryTag, entryInRepository,
} from './layout-names.ts';
export { referencedBlobs, collectGarbage, GC_GRACE_MS } from './layout-gc.ts';
export type { ReferencedSet, CollectGarbageOptions } from './layout-gc.ts';
export type { LayoutIndex } from './layout-index.ts';
export { walkStore, imageName } from './layout-graph.ts';
export type { StoreGraph, StoreImage, GraphNode, GraphProblem, BlobRole, WalkOptions } from './layout-graph.ts';
