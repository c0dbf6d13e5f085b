import type { Readable } from 'node:stream';

/**
 * Reads a stream whole unless it is longer than `limit` bytes: then it is
 * destroyed and undefined is returned, so a hostile peer cannot make us
 * buffer without bound.
 */
export async function readAtMost(stream: Readable, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
