import type { Readable } from 'node:stream';
import type { Descriptor } from '../oci/descriptor.ts';
import type { Digest } from '../oci/digest.ts';
import type { RawManifest } from '../oci/manifest.ts';

/**
 * What a storage scheme can do, as data. The copy engine reads these instead
 * of branching on the transport's name.
 */
export interface Capabilities {
  /** Manifest media types the destination can store unchanged; `'any'` for registries and layouts. */
  manifestTypes: readonly string[] | 'any';
  /** Whether an index (several platforms) can be stored; single-image formats (dir, docker-archive) say false. */
  indexes: boolean;
  /** How many blobs may be written at once: 1 for sequential formats (tar archives). */
  maxConcurrentBlobWrites: number;
  /** Whether {@link Repository.blobMount} can link a blob from another repository of the same storage. */
  crossRepoMount: boolean;
  /** Whether blobs must be written before the manifest that references them (always true today; documented for future transports). */
  blobsBeforeManifest: true;
  /** Whether the destination stores config and layers by digest (false for formats that rewrite, like docker-archive). */
  preservesDigests: boolean;
}

/** Per-call options for every I/O verb. */
export interface CallOptions {
  signal?: AbortSignal | undefined;
}


export type BlobGetOptions = CallOptions;

export type BlobPutOptions = CallOptions;

export interface ManifestPutOptions extends CallOptions {
  /**
   * Annotations a storage that indexes names may record with a tagged manifest,
   * or a root one put by digest (OCI layouts put them on the index.json entry,
   * e.g. the source reference);
   * registries ignore them. They never change the manifest bytes.
   */
  annotations?: Record<string, string> | undefined;
  /**
   * This manifest is the image the destination reference names (not a child
   * of an index). Storages that index their images record it even when it is
   * put by digest, as an unnamed entry (`oci:PATH` without a name).
   */
  root?: boolean | undefined;
}

/** The result of a put: whether the bytes were transferred or the storage linked what it had. */
export type BlobPutResult = 'uploaded' | 'mounted' | 'exists';

/**
 * One repository of one storage scheme, with verbs that map 1:1 onto the
 * distribution API (blob head/get/put/mount, manifest head/get/put/delete, tag
 * list). Registries, OCI layouts and archives all implement it; the copy
 * engine, sync and the embedded server speak only this.
 *
 * Call order for a write: every blob of an image, then the image manifest(s)
 * by digest, then the top manifest by tag, then {@link commit}. Who verifies:
 * {@link blobPut} verifies digest and size of the stream it is given and
 * stores nothing visible when they do not match; {@link manifestPut} verifies
 * that the bytes hash to the given digest.
 */
export interface Repository {
  /** Display form, e.g. `docker://registry.example/ns/app` or `oci:/srv/mirror`. Never holds secrets. */
  readonly display: string;
  /** Stable identity of the storage (registry origin, layout path): blobs can be mounted within one storage. */
  readonly storageId: string;
  /** Repository path within its storage (`ns/app`); empty where the storage has one namespace. */
  readonly repository: string;
  readonly capabilities: Capabilities;

  /** Size of the blob when present, else undefined. */
  blobHead(digest: Digest, options?: CallOptions): Promise<number | undefined>;
  /** Streams a blob; implementations resume broken downloads where they can. Does not verify: the caller hashes. */
  blobGet(descriptor: Descriptor, options?: BlobGetOptions): Promise<Readable>;
  /** Stores a blob from a stream, verifying digest and size before it becomes visible. */
  blobPut(descriptor: Descriptor, data: Readable, options?: BlobPutOptions): Promise<BlobPutResult>;
  /** Links a blob from another repository of the same storage without transferring it; false when not possible. */
  blobMount?(descriptor: Descriptor, fromRepository: string, options?: CallOptions): Promise<boolean>;

  /** Descriptor (digest, size, media type) of the manifest a tag or digest points at, or undefined when absent. Never a GET. */
  manifestHead(reference: string, options?: CallOptions): Promise<Descriptor | undefined>;
  /** Fetches a manifest by tag or digest. Throws NOT_FOUND when absent. The digest is verified when the reference is a digest. */
  manifestGet(reference: string, options?: CallOptions): Promise<RawManifest>;
  /** Stores manifest bytes under `reference` (a tag, or the manifest's digest). */
  manifestPut(reference: string, manifest: RawManifest, options?: ManifestPutOptions): Promise<void>;
  /** Deletes the manifest a tag or digest points at. */
  manifestDelete?(reference: string, options?: CallOptions): Promise<void>;
  /** Every tag (or layout ref name) of the repository. */
  tagList(options?: CallOptions): Promise<string[]>;
  /**
   * Descriptors of the manifests whose `subject` is `digest` (signatures,
   * attestations, SBOMs), as the OCI referrers API lists them; [] where the
   * storage offers no such list.
   */
  referrers?(digest: Digest, options?: CallOptions): Promise<Descriptor[]>;

  /** Makes writes durable and visible (archives are written here); a no-op for registries. */
  commit?(options?: CallOptions): Promise<void>;
  /** Releases connections and temporary files; abandons uncommitted writes. */
  close(): Promise<void>;
}

/** A repository plus the tag or digest that names one image in it: a resolved `transport:reference`. */
export interface ImageTarget {
  repository: Repository;
  /** Tag, layout ref name or digest; undefined when the transport holds a single unnamed image. */
  reference: string | undefined;
  /** Full display form, e.g. `docker://host/ns/app:1.0`. */
  display: string;
}
