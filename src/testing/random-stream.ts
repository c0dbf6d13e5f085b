import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/**
 * Deterministic pseudo-random bytes from a seed: the AES-128-CTR keystream
 * under a key derived from the seed. AES runs in hardware on every machine we
 * target, so this yields several GiB/s, and counter mode gives random access:
 * the bytes at any offset are computed without generating what comes before.
 * Not for cryptography — only for reproducible test and benchmark content.
 */

/** Bytes produced per step: large enough to amortise per-chunk overhead, small enough to stay in cache. */
export const RANDOM_CHUNK_SIZE = 256 * 1024;
const BLOCK = 16;

/** Enciphering zeros returns the keystream itself; one shared buffer of them suffices. */
const ZEROS = Buffer.alloc(RANDOM_CHUNK_SIZE);

function keyFor(seed: string): Buffer {
  return createHash('sha256').update('ferry-synthetic\0').update(seed).digest().subarray(0, 16);
}

/** The 128-bit big-endian counter block for block number `block`. */
function counterBlock(block: number): Buffer {
  const iv = Buffer.alloc(BLOCK);
  iv.writeBigUInt64BE(BigInt(block), 8);
  return iv;
}

/**
 * Yields `length` bytes of the keystream for `seed` starting at `offset`, in
 * chunks of at most `chunkSize`. Each chunk is a fresh Buffer the consumer may keep.
 */
export function* randomChunks(seed: string, offset: number, length: number, chunkSize = RANDOM_CHUNK_SIZE): Generator<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`invalid random range offset=${offset} length=${length}`);
  }
  if (length === 0) return;
  const size = Math.max(BLOCK, Math.min(chunkSize, RANDOM_CHUNK_SIZE));
  const cipher = createCipheriv('aes-128-ctr', keyFor(seed), counterBlock(Math.floor(offset / BLOCK)));
  let skip = offset % BLOCK;
  let left = length;
  while (left > 0) {
    const want = Math.min(size, left + skip);
    let chunk = cipher.update(ZEROS.subarray(0, want));
    if (skip > 0) {
      chunk = chunk.subarray(skip);
      skip = 0;
    }
    left -= chunk.length;
    yield chunk;
  }
}

/** `length` keystream bytes at `offset`, in memory: for small pieces only. */
export function randomBytesAt(seed: string, offset: number, length: number): Buffer {
  return Buffer.concat([...randomChunks(seed, offset, length)]);
}

/** A stream of `size` deterministic bytes for `seed` (from `offset`, for resuming), produced as it is read. */
export function randomStream(seed: string, size: number, options: { offset?: number } = {}): Readable {
  const offset = options.offset ?? 0;
  return Readable.from(randomChunks(seed, offset, size - offset), { objectMode: false });
}
