import type { Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import type { BackendCallOptions } from './blob-backend.ts';
import type { ManifestSummary } from './manifest-summary.ts';

/** A manifest reference that passed the grammar: a tag or a digest. */
export type ManifestRef = { tag: string } | { digest: Digest };

/** A stored manifest: its descriptor (media type, digest, size) and its bytes, already checked against the digest. */
export interface StoredManifest {
  descriptor: Descriptor;
  bytes: Uint8Array;
}

/** A manifest the server has parsed and hashed, ready to be stored. */
export interface ManifestToStore {
  bytes: Uint8Array;
  digest: Digest;
  summary: ManifestSummary;
  /** The manifest's own `artifactType` field (the summary's falls back to an image's config media type). */
  artifactType?: string | undefined;
  /**
   * What must already be stored, with these exact sizes, for the manifest to
   * be accepted: an index's child manifests, an image's config and layers
   * (foreign layers with `urls` are left out: they live elsewhere by design).
   */
  references: Descriptor[];
}

/**
 * Why a manifest was refused: a referenced blob or child manifest is absent,
 * or present with a size other than the descriptor claims (a manifest that
 * lies about a shared blob would make every image using it look broken).
 */
export type ManifestRefusal =
  | { reason: 'missing'; descriptor: Descriptor }
  | { reason: 'size'; descriptor: Descriptor; storedSize: number };

/** What a manifest DELETE found: gone now, never there, or only reachable as a child of an index (kept). */
export type ManifestDeleteResult = 'deleted' | 'absent' | 'in-index';

/**
 * The manifest family of a {@link RegistryBackend}. A manifest belongs to a
 * repository: by tag, by a push by digest, or as a child of an index the
 * repository holds. `put` and `delete` are optional capabilities (405 when
 * absent).
 */
export interface ManifestBackend {
  /** The descriptor of the manifest `ref` names in `repository`, without reading its bytes; undefined when absent. */
  stat(repository: string, ref: ManifestRef, options?: BackendCallOptions): Promise<Descriptor | undefined>;

  /** The manifest's descriptor and bytes; undefined when absent. Bytes that do not match the digest are FerryError CORRUPT. */
  get(repository: string, ref: ManifestRef, options?: BackendCallOptions): Promise<StoredManifest | undefined>;

  /**
   * Stores a manifest and points `ref` at it (a tag moves; a digest records
   * an untagged manifest of the repository). Every {@link ManifestToStore.references}
   * entry is checked under the same lock that blob deletes take, so a blob
   * cannot disappear between the check and the commit. Resolves to a refusal
   * instead of storing anything when a reference is missing or mis-sized.
   */
  put?(repository: string, ref: ManifestRef, manifest: ManifestToStore, options?: BackendCallOptions): Promise<ManifestRefusal | undefined>;

  /** Removes a tag, or every record of a digest in the repository. The bytes stay until garbage collection. */
  delete?(repository: string, ref: ManifestRef, options?: BackendCallOptions): Promise<ManifestDeleteResult>;
}
