/**
 * Tag of the state artifact in each destination repository of a registry;
 * sync skips it when listing a source, so it is never copied as an image.
 * On its own so that listing does not load the state's format (zod).
 */
export const STATE_TAG = '_ferry-state';
