import type { Writable } from 'node:stream';
import type { Digest } from '../../oci/digest.ts';

/** Every backend call can be cancelled: the client went away or the server is stopping. */
export interface BackendCallOptions {
  signal?: AbortSignal | undefined;
}

/** What a backend knows about a stored blob without reading it. */
export interface BlobInfo {
  size: number;
  /** When the blob was stored, where the backend knows it (for listings such as a web UI's "last change"). */
  modified?: Date | undefined;
}

/** Bytes `start..end` of a blob, both inclusive, as in HTTP ranges. */
export interface ByteRange {
  start: number;
  end: number;
}

/** Whether a write stored new bytes or found the blob already there. */
export type BlobWriteResult = 'written' | 'exists';

/** What a blob DELETE found: gone now, never there, or still referenced by a stored manifest (kept). */
export type BlobDeleteResult = 'deleted' | 'absent' | 'in-use';

/**
 * The blob family of a {@link RegistryBackend}. `stat` and `copyRange` are
 * required; every other verb is an optional capability: when a backend leaves
 * it out, the server answers that request with 405 UNSUPPORTED (or, for
 * `mount` and `redirect`, falls back to an upload and to streaming).
 *
 * Blobs are addressed by digest within a repository. A backend may share one
 * blob namespace between repositories (the OCI-layout store does) or keep
 * them apart; the server never assumes either.
 */
export interface BlobBackend {
  /** The blob's size, or undefined when `repository` has no such blob. */
  stat(repository: string, digest: Digest, options?: BackendCallOptions): Promise<BlobInfo | undefined>;

  /**
   * Writes bytes `range` of the blob to `sink`, honouring back-pressure, and
   * resolves once the last byte is handed over. The caller has checked the
   * range against {@link stat} and ends `sink` itself. A blob that vanished
   * since `stat` is FerryError NOT_FOUND. This is the pull path: backends keep
   * per-chunk work to a minimum.
   */
  copyRange(repository: string, digest: Digest, range: ByteRange, sink: Writable, options?: BackendCallOptions): Promise<void>;

  /**
   * A URL the client may fetch the blob from itself (an object store's signed
   * URL); the server answers 307 with it. Undefined means "serve it here".
   */
  redirect?(repository: string, digest: Digest, options?: BackendCallOptions): Promise<string | undefined>;

  /**
   * Stores `data` as blob `digest` of `repository`, verifying digest and (when
   * given) size while it streams; nothing becomes visible unless both match
   * (FerryError DIGEST_MISMATCH / SIZE_MISMATCH otherwise).
   */
  put?(repository: string, digest: Digest, data: AsyncIterable<Uint8Array>, options?: BackendCallOptions & { size?: number | undefined }): Promise<BlobWriteResult>;

  /**
   * Makes blob `digest` of repository `from` (or of anywhere, when the backend
   * shares blobs and `from` is not given) available in `repository` without a
   * transfer. Resolves false when there is nothing to mount.
   */
  mount?(repository: string, digest: Digest, from: string | undefined, options?: BackendCallOptions): Promise<boolean>;

  /**
   * Deletes a blob unless a stored manifest still references it. The reference
   * check and the delete are atomic with respect to {@link ManifestBackend.put}:
   * a manifest is never stored while one of its blobs is being deleted.
   */
  delete?(repository: string, digest: Digest, options?: BackendCallOptions): Promise<BlobDeleteResult>;
}
