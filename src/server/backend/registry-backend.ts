import type { BlobBackend } from './blob-backend.ts';
import type { ImportHistoryBackend } from './import-history-backend.ts';
import type { ListingBackend } from './listing-backend.ts';
import type { ManifestBackend } from './manifest-backend.ts';
import type { ReferrerBackend } from './referrer-backend.ts';
import type { SignatureBackend } from './signature-backend.ts';
import type { TagBackend } from './tag-backend.ts';
import type { UploadBackend } from './upload-backend.ts';

export type { BackendCallOptions, BlobBackend, BlobDeleteResult, BlobInfo, BlobWriteResult, ByteRange } from './blob-backend.ts';
export type { ArrivedImage, BundleImportRecord, ImportHistoryBackend } from './import-history-backend.ts';
export type { ListingBackend, RepositoryListing, StoreListing } from './listing-backend.ts';
export type { ManifestBackend, ManifestDeleteResult, ManifestRef, ManifestRefusal, ManifestToStore, StoredManifest } from './manifest-backend.ts';
export type { ReferrerBackend } from './referrer-backend.ts';
export type { SignatureBackend } from './signature-backend.ts';
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
 * The web UI (`src/server/ui/`) reads through the same interface, never
 * around it: the core verbs, plus two optional read-only families — `listing`
 * (the whole store's names in one call, with a generation to cache by) and
 * `imports` (the bundle-import record a mirror store keeps beside its
 * layout). The server layer may not import the mirror code, so `imports` is
 * filled in by whoever assembles the backend (the `serve` command).
 */
export interface RegistryBackend {
  /** What the backend serves, for the listening line of the log (a directory, a bucket URL). */
  readonly description: string;
  readonly blobs: BlobBackend;
  readonly manifests: ManifestBackend;
  readonly tags: TagBackend;
  readonly referrers: ReferrerBackend;
  readonly uploads?: UploadBackend | undefined;
  /** Browsing the whole store at once; absent: browsed through `tags` and `manifests.stat`. */
  readonly listing?: ListingBackend | undefined;
  /** The store's record of bundle imports; absent: the store keeps none. */
  readonly imports?: ImportHistoryBackend | undefined;
  /** The store's GPG signatures, served as a lookaside under `/sigstore/`; absent: not served. */
  readonly signatures?: SignatureBackend | undefined;
  /** Releases what the backend holds (connections, timers); the server calls it on shutdown when it opened the backend. */
  close?(): Promise<void>;
}
