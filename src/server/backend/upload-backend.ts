import type { Digest } from '../../oci/digest.ts';
import type { BackendCallOptions, BlobWriteResult } from './blob-backend.ts';

/**
 * Where the bytes of one chunked upload wait until the upload is finished or
 * dropped. The server keeps the session (its id, the running hash, limits,
 * expiry); the backend only keeps bytes. Appends arrive in order, one at a
 * time; a failed append is rolled back with {@link truncate}.
 */
export interface UploadBuffer {
  /** Writes every chunk of `data`, in order, starting at byte `offset` (the bytes held so far). */
  append(offset: number, data: AsyncIterable<Uint8Array>, options?: BackendCallOptions): Promise<void>;
  /** Cuts the bytes held back to `size` (a chunk that failed half way). */
  truncate(size: number): Promise<void>;
  /** The bytes held so far, for hashing with an algorithm the server did not compute on the way. */
  read(options?: BackendCallOptions): AsyncIterable<Uint8Array>;
  /** Makes the bytes blob `digest` of the repository; the caller has verified that they hash to it. */
  commit(digest: Digest, options?: BackendCallOptions): Promise<BlobWriteResult>;
  /** Drops the bytes; safe to call more than once and after {@link commit}. */
  discard(): Promise<void>;
}

/** The upload family of a {@link RegistryBackend}: optional, as a read-only backend has none (405). */
export interface UploadBackend {
  /** A new, empty buffer for an upload to `repository`. Cheap: a flood of sessions that never send a byte should cost little. */
  create(repository: string, options?: BackendCallOptions): Promise<UploadBuffer>;
}
