import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { PassThrough, Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.ts';
import { decompressor, sniffCompression } from '../../tar/index.ts';

/** Bytes needed to tell gzip and zstd from a plain tar. */
const SNIFF_BYTES = 4;

/**
 * The uncompressed content of a layer stream: gzip and zstd (told by their
 * first bytes, as skopeo does, not by the media type) are decompressed on the
 * way; anything else passes through. Errors of `source` surface in the loop.
 */
export async function* decompressingIterable(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headLength = 0;
  while (headLength < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) break;
    head.push(next.value);
    headLength += next.value.byteLength;
  }
  async function* all(): AsyncGenerator<Buffer> {
    yield* head;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  const unzip = decompressor(sniffCompression(Buffer.concat(head)));
  if (!unzip) {
    yield* all();
    return;
  }
  const input = Readable.from(all());
  input.on('error', (err) => unzip.destroy(err));
  try {
    for await (const chunk of input.pipe(unzip) as AsyncIterable<Buffer>) yield chunk;
  } finally {
    input.destroy();
  }
}

/**
 * Passes a layer's bytes through unchanged while a side branch hashes their
 * uncompressed content: `diffId()` gives the layer's diff_id once `data` has
 * been consumed to its end. A layer that does not decompress fails `data`.
 */
export function withDiffId(source: AsyncIterable<Buffer>): { data: AsyncGenerator<Buffer>; diffId: () => Promise<Digest> } {
  const side = new PassThrough();
  const hash = createHash('sha256');
  const hashing = (async (): Promise<Digest> => {
    for await (const chunk of decompressingIterable(side)) hash.update(chunk);
    return `sha256:${hash.digest('hex')}`;
  })();
  let settled = false;
  // Resolves (or fails) when the side branch stops reading; observed through data() and diffId().
  const stopped = hashing.then(() => undefined).finally(() => {
    settled = true;
  });
  stopped.catch(() => undefined);
  async function* data(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of source) {
        // A side branch that stopped early (trailing bytes after the compressed stream) no longer reads: the check at the end catches it.
        if (!settled && !side.write(chunk)) await Promise.race([once(side, 'drain'), stopped]);
        if (settled) await stopped;
        yield chunk;
      }
      side.end();
      await hashing;
    } catch (error) {
      side.destroy();
      throw error;
    }
  }
  return { data: data(), diffId: () => hashing };
}
