import { join } from 'node:path';
import type { SyntheticImageSpec } from '../../src/testing/synthetic.ts';
import { addTags, seedImages, type BenchRegistry } from './registries.ts';
import { writeSkopeoYaml } from './sync-set.ts';

/**
 * The planning-scale set of the sync benchmark: REPOS repositories, each with
 * DISTINCT tiny images of its own (tags t0000…), and enough extra tags
 * (a0100…, all naming the first image: tags are cheap, a PUT of an existing
 * manifest) to reach the largest size. Each size's YAML lists the first
 * size / REPOS tags of every repository.
 */

export interface ScaleShape {
  repos: number;
  /** Distinct images per repository. */
  distinct: number;
  /** Tag counts to plan, over all repositories (each a multiple of `repos`). */
  sizes: number[];
}

export const FULL_SCALE: ScaleShape = { repos: 10, distinct: 100, sizes: [100, 1_000, 10_000] };
export const QUICK_SCALE: ScaleShape = { repos: 4, distinct: 10, sizes: [20, 40, 200] };

const BASE = { size: 64 * 1024, seed: 'scale-base' };
const OWN = 2048;

function tagName(i: number, distinct: number): string {
  return i < distinct ? `t${String(i).padStart(4, '0')}` : `a${String(i).padStart(4, '0')}`;
}

function repoName(r: number): string {
  return `scale/r${String(r).padStart(2, '0')}`;
}

/** Seeds `registry` with the whole set (largest size) and writes one YAML per size into `dir`; returns size → YAML path. */
export async function seedScaleSet(registry: BenchRegistry, shape: ScaleShape, dir: string): Promise<Map<number, string>> {
  const perRepoMax = Math.max(...shape.sizes) / shape.repos;
  const specs: SyntheticImageSpec[] = [];
  for (let r = 0; r < shape.repos; r++) {
    for (let i = 0; i < Math.min(shape.distinct, perRepoMax); i++) specs.push({ name: repoName(r), tag: tagName(i, shape.distinct), sharedLayers: [BASE], layers: [OWN] });
  }
  await seedImages(registry, specs, { concurrency: 8 });
  for (let r = 0; r < shape.repos; r++) {
    const extra = [];
    for (let i = shape.distinct; i < perRepoMax; i++) extra.push(tagName(i, shape.distinct));
    if (extra.length > 0) await addTags(registry, repoName(r), tagName(0, shape.distinct), extra, { concurrency: 8 });
  }
  const files = new Map<number, string>();
  for (const size of shape.sizes) {
    const perRepo = size / shape.repos;
    const listed: SyntheticImageSpec[] = [];
    for (let r = 0; r < shape.repos; r++) for (let i = 0; i < perRepo; i++) listed.push({ name: repoName(r), tag: tagName(i, shape.distinct), layers: [OWN] });
    const file = join(dir, `scale-${size}.yaml`);
    await writeSkopeoYaml(file, registry.host, listed);
    files.set(size, file);
  }
  return files;
}

/** How many of `size` tags name distinct images. */
export function distinctImages(shape: ScaleShape, size: number): number {
  return Math.min(size / shape.repos, shape.distinct) * shape.repos;
}
