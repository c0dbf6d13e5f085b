import { Transform } from 'node:stream';
import { createGunzip, createZstdDecompress } from 'node:zlib';
import { FerryError } from '../errors.ts';
import { openRegularFile } from '../util/regular-file.ts';

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

/** Reads up to `length` bytes at `position` of a regular file (see util/regular-file.ts); `what` names it in errors. */
export async function readFileRange(path: string, position: number, length: number, what = 'archive'): Promise<Buffer> {
  const { handle: fh } = await openRegularFile(path, { what });
  try {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The compression of a file (or of the bytes at `position` inside it); `what` names it in errors. */
export async function sniffFile(path: string, position = 0, what = 'archive'): Promise<Compression> {
  return sniffCompression(await readFileRange(path, position, ZSTD_MAGIC.length, what));
}

/** A decompressing transform for `compression`, or undefined for none. */
export function decompressor(compression: Compression): Transform | undefined {
  if (compression === 'gzip') return createGunzip();
  if (compression === 'zstd') return createZstdDecompress();
  return undefined;
}

/**
 * How far a compressed archive may expand while it is unpacked to disk.
 * Image archives hold compressed layers (OCI) or tar layers (docker save),
 * which gzip shrinks a few times; a thousandfold expansion is a decompression
 * bomb. The floor lets small archives of highly compressible files through.
 */
export const MAX_EXPANSION_RATIO = 100;
export const EXPANSION_FLOOR_BYTES = 64 * 1024 * 1024;

/**
 * A pass-through to put after a {@link decompressor}: it fails the stream
 * with `CORRUPT` once more than `MAX_EXPANSION_RATIO` times the
 * `compressedSize` (at least {@link EXPANSION_FLOOR_BYTES}) has come out,
 * before the disk fills.
 */
export function expansionLimit(compressedSize: number, where: string): Transform {
  const limit = Math.max(EXPANSION_FLOOR_BYTES, compressedSize * MAX_EXPANSION_RATIO);
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.byteLength;
      if (total <= limit) {
        callback(null, chunk);
        return;
      }
      callback(new FerryError('CORRUPT', `${where}: the archive expands to more than ${limit} bytes, over ${MAX_EXPANSION_RATIO} times its compressed size of ${compressedSize} bytes; refusing to unpack it`, {
        hint: 'it looks like a decompression bomb; if the archive is genuine, decompress it yourself and give ferry the plain tar',
      }));
    },
  });
}
