import { join } from 'node:path';
import type { Repository } from '../../src/repository/repository.ts';
import { forEachLimited } from '../../src/util/pool.ts';
import { writeDirImage } from './dir-image.ts';
import { skopeoCopy, type SkopeoAccess } from './skopeo.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * Puts images into a registry with skopeo (never with ferry), so tests of
 * ferry's registry source start from content an independent client wrote.
 */
export interface SeedOptions {
  /** Destination access for skopeo; default `tlsVerify: false` (plain HTTP test registries). */
  dest?: SkopeoAccess;
  /** Target repository in the registry (default `source.repository`). */
  repository?: string;
  signal?: AbortSignal;
}

/** Repositories seeded at once: each skopeo mostly waits on the registry, and the machine is shared. */
const SEED_CONCURRENCY = 3;

/** Copies `tags` of `source` (all platforms) to `docker://HOST/REPOSITORY:TAG`. */
export async function seedRegistry(host: string, source: Repository, tags: string[], options: SeedOptions = {}): Promise<void> {
  await seedImages(host, tags.map((tag) => ({ source, tag, repository: options.repository ?? source.repository })), options);
}

/** One image to seed: `tag` of `source`, pushed as `REPOSITORY:TAG`. */
export interface SeedImage {
  source: Repository;
  tag: string;
  repository: string;
}

/**
 * Copies several images (of any repositories) with skopeo: repositories a
 * few at a time, the images of one repository one after another. Distribution
 * 2.8 can refuse a manifest ("blob unknown") when two clients push images that
 * share blobs into one repository at the same moment, so a seed never does.
 */
export async function seedImages(host: string, images: readonly SeedImage[], options: Omit<SeedOptions, 'repository'> = {}): Promise<void> {
  const dir = await tempDir('ferry-seed');
  const byRepository = Map.groupBy(images.map((image, i) => ({ ...image, i })), (image) => image.repository);
  try {
    await forEachLimited([...byRepository.values()], SEED_CONCURRENCY, async (group) => {
      for (const { source, tag, repository, i } of group) {
        // dir: rather than an OCI layout, because skopeo's layout reader skips Docker media types.
        const image = join(dir, String(i));
        await writeDirImage(source, image, tag, options.signal ? { signal: options.signal } : {});
        await skopeoCopy(`dir:${image}`, `docker://${host}/${repository}:${tag}`, ['--all', '--preserve-digests'], {
          dest: options.dest ?? { tlsVerify: false },
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }
    });
  } finally {
    await removeTempDir(dir);
  }
}
