import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { copy } from '../src/api/copy.ts';
import { copyImage } from '../src/copy/copy-image.ts';
import { FerryError } from '../src/errors.ts';
import type { Descriptor } from '../src/oci/descriptor.ts';
import { syntheticRepository } from '../src/testing/synthetic.ts';
import type { Repository } from '../src/transport/repository.ts';
import { openImage } from '../src/transports/open.ts';
import type { AfterHook } from './helpers/cleanup.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { skopeo, skopeoCopy } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

/** Shared fixtures of the archive transport tests: small source layouts written without ferry's transports. */

export const sha256 = (data: Uint8Array | string): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface SourceLayout {
  dir: string;
  /** `oci:DIR:1` — one linux/amd64 image, two uncompressed layers. */
  single: string;
  /** `oci:DIR:multi` — an index of two platforms. */
  multi: string;
  /** `oci:DIR-gz:gz` — the single image with gzip layers (compressed by skopeo). */
  gzip: string;
}

/**
 * Writes the source layout with the independent test writer (and skopeo for
 * the gzip variant): layers of 100–300 KB keep every copy fast.
 */
export async function sourceLayout(t: AfterHook): Promise<SourceLayout> {
  const dir = join(await tempDir('ferry-archive-src', t), 'layout');
  const repo = syntheticRepository([
    { name: 'app', tag: '1', layers: [200_000, 300_000] },
    { name: 'app', tag: 'multi', layers: [100_000], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] },
  ]);
  await writeOciLayout(repo, dir, ['1', 'multi']);
  // A layout of its own: in the same one skopeo would reuse the uncompressed blobs.
  await skopeoCopy(`oci:${dir}:1`, `oci:${dir}-gz:gz`, ['--dest-compress']);
  return { dir, single: `oci:${dir}:1`, multi: `oci:${dir}:multi`, gzip: `oci:${dir}-gz:gz` };
}

/** Digest of the manifest skopeo reads at `ref` (raw bytes, an index is not resolved). */
export async function rawDigest(ref: string): Promise<string> {
  const { stdout } = await skopeo(['inspect', '--raw', ref]);
  return sha256(stdout);
}

/** The raw manifest skopeo reads at `ref`, parsed. */
export async function rawManifest(ref: string): Promise<{ config: Descriptor; layers: Descriptor[] }> {
  const { stdout } = await skopeo(['inspect', '--raw', ref]);
  return JSON.parse(stdout.toString('utf8')) as { config: Descriptor; layers: Descriptor[] };
}

/** Config digest and diff_ids of the image at `ref`, as skopeo reads them. */
export async function configIdentity(ref: string): Promise<{ configDigest: string; diffIds: string[] }> {
  const { stdout } = await skopeo(['inspect', '--config', '--raw', ref]);
  const config = JSON.parse(stdout.toString('utf8')) as { rootfs: { diff_ids: string[] } };
  return { configDigest: sha256(stdout), diffIds: config.rootfs.diff_ids };
}

/** ferry's own copy, as the CLI does it. */
export function ferryCopy(src: string, dst: string, options: { all?: boolean; signal?: AbortSignal } = {}): ReturnType<typeof copy> {
  return copy(src, dst, { all: options.all, retryTimes: 0, ...(options.signal ? { signal: options.signal } : {}) });
}

/**
 * Copies `src` to `dst` with ferry's engine while the source breaks: the
 * stream of every blob over `threshold` bytes delivers half its bytes, then
 * fails (the 300 KB layer of the single image). With `failOnce` the failure
 * is retryable and happens on the first attempt only. Returns the error, if any.
 */
export async function copyWithBrokenSource(src: string, dst: string, how: { threshold?: number; failOnce?: boolean } = {}): Promise<unknown> {
  const threshold = how.threshold ?? 250_000;
  let failures = 0;
  const source = await openImage(src, { role: 'source' });
  const destination = await openImage(dst, { role: 'destination' });
  const inner = source.repository;
  const broken: Repository = {
    ...inner,
    async blobGet(descriptor: Descriptor, options): Promise<Readable> {
      const stream = await inner.blobGet(descriptor, options);
      if (descriptor.size <= threshold || (how.failOnce && failures > 0)) return stream;
      failures++;
      const out = new PassThrough();
      let seen = 0;
      stream.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > descriptor.size / 2) {
          stream.destroy();
          out.destroy(new FerryError('NETWORK', 'connection reset (test)', { retryable: how.failOnce === true }));
          return;
        }
        out.write(chunk);
      });
      return out;
    },
  };
  try {
    await copyImage({ source: { ...source, repository: broken }, destination, retry: { retries: how.failOnce ? 1 : 0, baseDelayMs: 1, maxDelayMs: 1 } });
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await destination.repository.close();
    await inner.close();
  }
}

/** Names of temp files ferry left next to `path` (`PATH.tmp-…`). */
export async function leftoverTemps(path: string): Promise<string[]> {
  return (await readdir(dirname(path))).filter((n) => n.startsWith(`${basename(path)}.tmp-`));
}

export async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}
