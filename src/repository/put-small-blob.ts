import { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.ts';
import { digestOf } from '../oci/digest.ts';
import type { Repository } from './repository.ts';

/**
 * Stores bytes held in memory (signature data, a small artifact's config or
 * layer) as a blob of `mediaType`, unless the repository has it already, and
 * returns its descriptor.
 */
export async function putSmallBlob(repo: Repository, data: Uint8Array, mediaType: string, options: { signal?: AbortSignal | undefined } = {}): Promise<Descriptor> {
  const descriptor: Descriptor = { mediaType, digest: digestOf(data), size: data.byteLength };
  if ((await repo.blobHead(descriptor.digest, options)) === undefined) await repo.blobPut(descriptor, Readable.from([Buffer.from(data)]), options);
  return descriptor;
}
