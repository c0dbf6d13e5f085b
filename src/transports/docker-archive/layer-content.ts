import { Readable } from 'node:stream';
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
