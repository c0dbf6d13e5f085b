import { writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import { syntheticStore, type SyntheticImageSpec } from '../../src/testing/synthetic.ts';

/**
 * The image set of the sync and mirror benchmarks (issues 3 and 5): REPOS
 * repositories × TAGS tags, every image a shared base layer plus one layer of
 * its own, and the skopeo sync YAML that names them all.
 */

const MiB = 1024 * 1024;

export interface SyncSetShape {
  repos: number;
  tags: number;
  baseBytes: number;
  ownBytes: number;
}

/** Issue 3: 40 repos × 2 tags sharing a 30 MiB base, 1 MiB own layer each. */
export const FULL_SET: SyncSetShape = { repos: 40, tags: 2, baseBytes: 30 * MiB, ownBytes: 1 * MiB };
/** For trying the scripts out. */
export const QUICK_SET: SyncSetShape = { repos: 8, tags: 2, baseBytes: 4 * MiB, ownBytes: 256 * 1024 };

export function syncSetSpecs(shape: SyncSetShape, prefix = 'bench'): SyntheticImageSpec[] {
  const specs: SyntheticImageSpec[] = [];
  for (let r = 0; r < shape.repos; r++) {
    for (let t = 1; t <= shape.tags; t++) {
      specs.push({
        name: `${prefix}/app-${String(r).padStart(2, '0')}`,
        tag: `v${t}`,
        sharedLayers: [{ size: shape.baseBytes, seed: `${prefix}-base` }],
        layers: [shape.ownBytes],
      });
    }
  }
  return specs;
}

/** `N images (R repos × T tags, X MiB base + Y MiB own)`. */
export function describeSet(shape: SyncSetShape): string {
  const m = (n: number): string => `${+(n / MiB).toFixed(2)} MiB`;
  return `${shape.repos * shape.tags} images (${shape.repos} repos × ${shape.tags} tags, ${m(shape.baseBytes)} shared base + ${m(shape.ownBytes)} own layer each)`;
}

/**
 * Bytes of distinct content in the set: every distinct blob once, plus every
 * manifest (what a deduplicated store must hold at least).
 */
export async function uniqueBytes(specs: SyntheticImageSpec[]): Promise<number> {
  const store = syntheticStore(specs);
  const blobs = new Map<string, number>();
  let total = 0;
  for (const spec of specs) {
    const image = await store.image(spec.name, spec.tag);
    for (const m of image.manifests) {
      if (!blobs.has(m.digest)) blobs.set(m.digest, m.bytes.byteLength);
    }
    for (const [digest, blob] of image.blobs) {
      if (!blobs.has(digest)) blobs.set(digest, blob.kind === 'config' ? blob.bytes.length : blob.layer.size);
    }
  }
  for (const size of blobs.values()) total += size;
  return total;
}

/**
 * skopeo's sync YAML for `specs` on `host`: one registry entry with
 * `tls-verify: false` and every repository's tags listed. ferry reads the same file.
 */
export async function writeSkopeoYaml(path: string, host: string, specs: readonly SyntheticImageSpec[]): Promise<void> {
  const images: Record<string, string[]> = {};
  for (const spec of specs) (images[spec.name] ??= []).push(spec.tag);
  await writeFile(path, stringify({ [host]: { 'tls-verify': false, images } }));
}
