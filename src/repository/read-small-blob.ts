import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { FerryError } from '../errors.ts';
import type { Descriptor } from '../oci/descriptor.ts';
import { verifyingStream } from '../oci/verify-stream.ts';
import type { Repository } from './repository.ts';

/** Configs larger than this are refused (real ones are a few KiB; this bounds what a hostile source can make ferry hold). */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * Reads a small blob (an image config, signature data) whole, with its
 * digest and size verified. One whose descriptor claims more than `limit`
 * bytes (`what` names it in the error) is refused before anything is read.
 *
 * @throws FerryError `INVALID_MANIFEST` when too large; `DIGEST_MISMATCH` or `SIZE_MISMATCH` when the bytes do not match.
 */
export async function readSmallBlob(
  repo: Repository,
  descriptor: Descriptor,
  options: { limit?: number | undefined; what?: string | undefined; signal?: AbortSignal | undefined } = {},
): Promise<Buffer> {
  const limit = options.limit ?? MAX_CONFIG_BYTES;
  if (descriptor.size > limit) {
    throw new FerryError('INVALID_MANIFEST', `${repo.display}@${descriptor.digest}: ${descriptor.size} bytes, over the ${limit}-byte limit for ${options.what ?? 'a config'}`);
  }
  const chunks: Buffer[] = [];
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  const stream = await repo.blobGet(descriptor, { signal: options.signal });
  await pipeline(stream, verifyingStream(descriptor, { where: `${repo.display}@${descriptor.digest}` }), collect, options.signal ? { signal: options.signal } : {});
  return Buffer.concat(chunks);
}
