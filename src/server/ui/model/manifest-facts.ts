import type { Descriptor } from '../../../oci/descriptor.ts';
import type { Digest } from '../../../oci/digest.ts';
import { parseManifest } from '../../../oci/manifest.ts';
import { MediaType } from '../../../oci/media-types.ts';
import type { RegistryBackend } from '../../backend/registry-backend.ts';

/** What a manifest is, for listings. */
export type ManifestKind = 'image' | 'index' | 'artifact';

/** What the UI needs to know about a stored manifest; content is immutable, so this is cached by digest. */
export interface ManifestFacts {
  digest: Digest;
  mediaType: string;
  /** Bytes of the manifest itself. */
  size: number;
  kind: ManifestKind;
  /** The manifest's `artifactType`, else an artifact's config media type. */
  artifactType?: string | undefined;
  config?: Descriptor | undefined;
  layers: readonly Descriptor[];
  /** The manifests an index lists, with their platforms. */
  children: readonly Descriptor[];
  subject?: Digest | undefined;
  annotations?: Readonly<Record<string, string>> | undefined;
  /** When the backend stored the manifest (its blob), if it knows. */
  modified?: Date | undefined;
  /** Why the manifest could not be read or parsed; the other fields are then empty. */
  problem?: string | undefined;
}

/** Config media types of runnable images; any other config makes the manifest an artifact. */
const IMAGE_CONFIG_TYPES = new Set<string>([MediaType.ociConfig, MediaType.dockerConfig]);
/** Facts kept in memory; each is well under a kilobyte (10,000 images fit with room to spare). */
const MAX_CACHED = 50_000;

function factsOf(descriptor: Descriptor, bytes: Uint8Array, modified: Date | undefined): ManifestFacts {
  const parsed = parseManifest(bytes, descriptor.mediaType, descriptor.digest);
  const base = { digest: descriptor.digest, mediaType: parsed.mediaType, size: bytes.byteLength, modified };
  if (parsed.kind === 'index') {
    const { index } = parsed;
    return { ...base, kind: index.artifactType === undefined ? 'index' : 'artifact', artifactType: index.artifactType, layers: [], children: index.manifests, subject: index.subject?.digest, annotations: index.annotations };
  }
  const { manifest } = parsed;
  const artifact = manifest.artifactType !== undefined || !IMAGE_CONFIG_TYPES.has(manifest.config.mediaType);
  return {
    ...base,
    kind: artifact ? 'artifact' : 'image',
    artifactType: manifest.artifactType ?? (artifact ? manifest.config.mediaType : undefined),
    config: manifest.config,
    layers: manifest.layers,
    children: [],
    subject: manifest.subject?.digest,
    annotations: manifest.annotations,
  };
}

/**
 * Reads manifests through the backend (`manifests.get`, which checks the
 * digest) and remembers their facts. Concurrent asks for one digest share a
 * read. A manifest that is absent is not remembered (it may be pushed); one
 * that fails to parse is, with its problem.
 */
export class ManifestFactsCache {
  readonly #backend: RegistryBackend;
  readonly #cache = new Map<Digest, Promise<ManifestFacts | undefined>>();
  /** The same facts once read, for synchronous lookups: recounting a store whose manifests are all known costs no promise per manifest. */
  readonly #known = new Map<Digest, ManifestFacts>();

  constructor(backend: RegistryBackend) {
    this.#backend = backend;
  }

  /**
   * The facts of manifest `digest` of `repository`; undefined when the
   * repository does not hold it. Reads are shared between requests, so no
   * one request's signal cancels them: each is one small manifest.
   */
  get(repository: string, digest: Digest): Promise<ManifestFacts | undefined> {
    const cached = this.#cache.get(digest);
    if (cached) return cached;
    const reading = this.#read(repository, digest);
    if (this.#cache.size >= MAX_CACHED) {
      this.#cache.clear();
      this.#known.clear();
    }
    this.#cache.set(digest, reading);
    reading.then((facts) => {
      if (facts === undefined) this.#cache.delete(digest);
      else if (this.#cache.get(digest) === reading) this.#known.set(digest, facts);
    }, () => this.#cache.delete(digest));
    return reading;
  }

  /** The facts of `digest` if they were read already; undefined means "ask {@link get}". */
  peek(digest: Digest): ManifestFacts | undefined {
    return this.#known.get(digest);
  }

  async #read(repository: string, digest: Digest): Promise<ManifestFacts | undefined> {
    const [stored, info] = await Promise.all([
      this.#backend.manifests.get(repository, { digest }),
      this.#backend.blobs.stat(repository, digest).catch(() => undefined),
    ]);
    if (!stored) return undefined;
    try {
      return factsOf(stored.descriptor, stored.bytes, info?.modified);
    } catch (error) {
      const { mediaType, size } = stored.descriptor;
      return { digest, mediaType, size, kind: 'artifact', layers: [], children: [], modified: info?.modified, problem: (error as Error).message };
    }
  }
}
