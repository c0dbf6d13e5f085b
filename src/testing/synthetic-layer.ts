import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { RANDOM_CHUNK_SIZE, randomChunks } from './random-stream.ts';

/**
 * One synthetic layer: an uncompressed tar holding a single file of
 * deterministic random bytes, exactly `size` bytes long. Layout:
 *
 *   512-byte ustar header | content (size − 1536 rounded down to 512) | 1024 zero bytes (end of archive) | size mod 512 zero bytes
 *
 * The content length is a multiple of 512, so it needs no padding; an exact
 * size that is not a multiple of 512 is reached with zeros after the
 * end-of-archive marker, which tar readers stop before. Nothing is held in
 * memory beyond one chunk.
 */

const BLOCK = 512;
/** A header plus the end-of-archive marker: the smallest layer that still names a file. */
export const MIN_LAYER_SIZE = 3 * BLOCK;
/** Fixed so a layer's bytes depend only on its seed and size (2000-01-01T00:00:00Z). */
const MTIME = 946_684_800;
/** Largest size the 11-digit octal field holds; beyond it the GNU base-256 form is used. */
const MAX_OCTAL_SIZE = 0o77777777777;

export interface SyntheticLayer {
  seed: string;
  /** Total tar stream length: the size in the manifest. */
  size: number;
  /** Length of the file inside. */
  contentSize: number;
  /** Name of the file inside, derived from the seed. */
  fileName: string;
}

/** Describes the layer for `seed` and `size`; throws USAGE when the size cannot hold a tar. */
export function syntheticLayer(seed: string, size: number): SyntheticLayer {
  if (!Number.isSafeInteger(size) || size < MIN_LAYER_SIZE) {
    throw new FerryError('USAGE', `synthetic layer size ${size} is invalid: it must be an integer of at least ${MIN_LAYER_SIZE} bytes (tar header and end-of-archive blocks)`);
  }
  const contentSize = size - (size % BLOCK) - MIN_LAYER_SIZE;
  const fileName = `ferry-${createHash('sha256').update(seed).digest('hex').slice(0, 16)}.bin`;
  return { seed, size, contentSize, fileName };
}

function writeOctal(header: Buffer, offset: number, width: number, value: number): void {
  header.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, width, 'ascii');
}

/** The ustar header of the layer's single file. */
export function layerHeader(layer: SyntheticLayer): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(layer.fileName, 0, 100, 'ascii');
  writeOctal(h, 100, 8, 0o644);
  writeOctal(h, 108, 8, 0);
  writeOctal(h, 116, 8, 0);
  if (layer.contentSize <= MAX_OCTAL_SIZE) writeOctal(h, 124, 12, layer.contentSize);
  else {
    // GNU base-256: high bit set in the first byte, big-endian binary in the rest.
    h[124] = 0x80;
    h.writeBigUInt64BE(BigInt(layer.contentSize), 128);
  }
  writeOctal(h, 136, 12, MTIME);
  h[156] = 0x30; // '0': regular file
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  writeOctal(h, 329, 8, 0);
  writeOctal(h, 337, 8, 0);
  // The checksum is computed with its own field read as eight spaces.
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function* zeros(length: number): Generator<Buffer> {
  for (let left = length; left > 0; left -= RANDOM_CHUNK_SIZE) yield Buffer.alloc(Math.min(left, RANDOM_CHUNK_SIZE));
}

/** The layer's bytes from `offset` to the end, chunk by chunk. */
export function* layerChunks(layer: SyntheticLayer, offset = 0): Generator<Buffer> {
  if (!Number.isSafeInteger(offset) || offset < 0 || offset > layer.size) throw new RangeError(`offset ${offset} outside layer of ${layer.size} bytes`);
  const contentEnd = BLOCK + layer.contentSize;
  if (offset < BLOCK) yield layerHeader(layer).subarray(offset);
  if (offset < contentEnd) {
    const from = Math.max(offset, BLOCK) - BLOCK;
    yield* randomChunks(layer.seed, from, layer.contentSize - from);
  }
  yield* zeros(layer.size - Math.max(offset, contentEnd));
}

/** A stream of the layer (from `offset`, for resuming), generated as it is read. */
export function layerStream(layer: SyntheticLayer, offset = 0): Readable {
  return Readable.from(layerChunks(layer, offset), { objectMode: false });
}

/** Chunks hashed between yields to the event loop (16 MiB), so hashing a large layer does not stall timers and I/O. */
const CHUNKS_PER_TURN = 64;

/** sha256 of the layer's bytes; for an uncompressed layer this is both the blob digest and the diff_id. */
export async function hashLayer(layer: SyntheticLayer): Promise<Digest> {
  const hash = createHash('sha256');
  let n = 0;
  for (const chunk of layerChunks(layer)) {
    hash.update(chunk);
    if (++n % CHUNKS_PER_TURN === 0) await nextTurn();
  }
  return `sha256:${hash.digest('hex')}`;
}
