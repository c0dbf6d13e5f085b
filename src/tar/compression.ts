import { open } from 'node:fs/promises';
import type { Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';

/** Compression of a stream or file, told by its first bytes (as skopeo does), not by its name. */
export type Compression = 'gzip' | 'zstd' | 'none';

const GZIP_MAGIC = [0x1f, 0x8b];
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** The compression the first bytes of some content announce. */
export function sniffCompression(head: Uint8Array): Compression {
  const starts = (magic: number[]): boolean => head.byteLength >= magic.length && magic.every((b, i) => head[i] === b);
  if (starts(GZIP_MAGIC)) return 'gzip';
  if (starts(ZSTD_MAGIC)) return 'zstd';
  return 'none';
}

/** Reads up to `length` bytes at `position` of a file. */
export async function readFileRange(path: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The compression of a file (or of `length` bytes at `position` inside it). */
export async function sniffFile(path: string, position = 0): Promise<Compression> {
  return sniffCompression(await readFileRange(path, position, ZSTD_MAGIC.length));
}

/** A decompressing transform for `compression`, or undefined for none. */
export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompress();
  return undefined;
}
