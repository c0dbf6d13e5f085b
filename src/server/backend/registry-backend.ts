import type { BlobBackend } from './blob-backend.ts';
import type { ManifestBackend } from './manifest-backend.ts';
import type { ReferrerBackend } from './referrer-backend.ts';
import type { TagBackend } from './tag-backend.ts';
import type { UploadBackend } from './upload-backend.ts';

export type { BackendCallOptions, BlobBackend, BlobDeleteResult, BlobInfo, BlobWriteResult, ByteRange } from './blob-backend.ts';
export type { ManifestBackend, ManifestDeleteResult, ManifestRef, ManifestRefusal, ManifestToStore, StoredManifest } from './manifest-backend.ts';
export type { ReferrerBackend } from './referrer-backend.ts';
export type { TagBackend } from './tag-backend.ts';
export type { UploadBackend, UploadBuffer } from './upload-backend.ts';

/**
 * What `ferry serve` stores images in: one small interface per verb family,
 * mapping onto the distribution API (blobs, manifests, tags, referrers,
 * uploads). The HTTP handlers speak only this interface — they never see
 * file paths, temp files or index updates — so a second backend (an object
 * store, a pull-through cache) is a new implementation of it, not a change to
 * a handler. The OCI-layout store (`layout/layout-backend.ts`) is the first.
 *
 * Contract, for every implementation:
 * - Input reaching a backend is already validated: repository names and tags
 *   follow the distribution grammar, digests are well formed, manifests
 *   parsed and hashed. Backends verify what they store themselves (digest
 *   and size of streamed blobs) and never make unverified bytes visible.
 * - Absence is a value (undefined, `'absent'`), not an error; FerryError is
 *   for faults (I/O, corrupt content) and for mismatches while storing.
 * - Write verbs are optional capabilities; a backend without them is served
 *   read-only, each write answered 405 UNSUPPORTED.
 * - Manifest puts and blob deletes are serialised against each other, so a
 *   stored manifest never points at a blob deleted at the same moment.
 *
 * A web UI is planned over the same interface: repositories with tag counts
 * (`tags`), sizes and last change (`manifests.get`, `blobs.stat` with
 * `modified`), manifests and configs by digest, and referrers. What only some
 * stores have — the bundle-import history a mirror store keeps beside its
 * layout (src/mirror/bundle/bundle-history.ts) — belongs in an optional
 * family added here then, as may faster answers to the listing questions.
 * The server layer may not import the mirror code, so that family will be
 * filled in by whoever assembles the backend.
 */
export interface RegistryBackend {
  /** What the backend serves, for the listening line of the log (a directory, a bucket URL). */
  readonly description: string;
  readonly blobs: BlobBackend;
  readonly manifests: ManifestBackend;
  readonly tags: TagBackend;
  readonly referrers: ReferrerBackend;
  readonly uploads?: UploadBackend | undefined;
  /** Releases what the backend holds (connections, timers); the server calls it on shutdown when it opened the backend. */
  close?(): Promise<void>;
}
