import { join, resolve } from 'node:path';

/**
 * The parts of a mirror directory (`ferry mirror --to-dir DIR`): the store
 * (one OCI layout, every blob once), the bundle made from it for the
 * crossing, and the cluster resources written after a push.
 */
export const STORE_DIR = 'store';
export const BUNDLE_DIR = 'bundle';
export const RESOURCES_DIR = 'cluster-resources';

export function mirrorPaths(dir: string): { root: string; store: string; bundle: string; resources: string } {
  const root = resolve(dir);
  return { root, store: join(root, STORE_DIR), bundle: join(root, BUNDLE_DIR), resources: join(root, RESOURCES_DIR) };
}
