import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import type { Descriptor } from '../oci/descriptor.ts';
import { isDigest, type Digest } from '../oci/digest.ts';
import type { RawManifest } from '../oci/manifest.ts';
import type { BlobGetOptions, CallOptions, Capabilities, Repository } from '../repository/repository.ts';
import { buildImage, planLayers, type BuiltImage, type SyntheticBlob, type SyntheticImageSpec } from './synthetic-image.ts';
import { hashLayer, layerChunks, type SyntheticLayer } from './synthetic-layer.ts';

export type { SyntheticImageSpec, BuiltImage, SyntheticPlatformImage } from './synthetic-image.ts';
export { DOCKER_LAYER_TAR } from './synthetic-image.ts';
export { MIN_LAYER_SIZE, layerStream, syntheticLayer, type SyntheticLayer } from './synthetic-layer.ts';

/**
 * Read-only storage of generated images, for tests, the demo and benchmarks:
 * every byte comes from a seed, so a copy can be checked against digests that
 * were never stored anywhere. Layer digests are computed on first need by
 * streaming the layer once through sha256, then cached.
 */

export interface SyntheticStoreOptions {
  /** Distinguishes stores in `storageId` (default: a hash of the specs). */
  id?: string;
}

export interface SyntheticStore {
  /** `synthetic:<id>`. */
  readonly storageId: string;
  /** Repository names, sorted. */
  names(): string[];
  /** A read-only Repository for `name`; throws NOT_FOUND for a name no spec has. */
  repository(name: string): Repository;
  /** The built image `name:tag` (manifests, configs, layer descriptors); hashes layers on first call. */
  image(name: string, tag: string, options?: CallOptions): Promise<BuiltImage>;
}

const CAPABILITIES: Capabilities = {
  manifestTypes: 'any',
  indexes: true,
  // Writes throw; 1 keeps any arithmetic on this field safe.
  maxConcurrentBlobWrites: 1,
  crossRepoMount: false,
  blobsBeforeManifest: true,
  preservesDigests: true,
};

const DEFAULT_PLATFORM = { os: 'linux', architecture: 'amd64' };

function validate(images: SyntheticImageSpec[]): void {
  const seen = new Set<string>();
  for (const spec of images) {
    const where = `synthetic image ${spec.name}:${spec.tag}`;
    if (!spec.name || !spec.tag) throw new FerryError('USAGE', `synthetic image needs a name and a tag (got "${spec.name}:${spec.tag}")`);
    if (seen.has(`${spec.name}:${spec.tag}`)) throw new FerryError('USAGE', `${where} is specified twice`);
    seen.add(`${spec.name}:${spec.tag}`);
    for (const p of spec.platforms ?? [DEFAULT_PLATFORM]) planLayers(spec, p); // throws USAGE on a bad layer size
  }
}
/** Waits for `promise` unless `signal` fires first (the shared work itself goes on for other callers). */
function race<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  throwIfAborted(signal);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function blobStream(blob: SyntheticBlob, options: BlobGetOptions): Readable {
  const chunks = blob.kind === 'config' ? [blob.bytes] : layerChunks(blob.layer);
  const stream = Readable.from(chunks, { objectMode: false });
  const signal = options.signal;
  if (signal) {
    const onAbort = (): void => {
      stream.destroy(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal.removeEventListener('abort', onAbort));
  }
  return stream;
}

function descriptorOf(m: RawManifest): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
}

/** Builds a store serving every image of `images`, grouped into repositories by `name`. */
export function syntheticStore(images: SyntheticImageSpec[], options: SyntheticStoreOptions = {}): SyntheticStore {
  validate(images);
  const id = options.id ?? createHash('sha256').update(JSON.stringify(images)).digest('hex').slice(0, 12);
  const storageId = `synthetic:${id}`;
  const layerDigests = new Map<string, Promise<Digest>>();
  const built = new Map<string, Promise<BuiltImage>>();

  const digestLayer = (layer: SyntheticLayer): Promise<Digest> => {
    const key = `${layer.seed}\0${layer.size}`;
    let p = layerDigests.get(key);
    if (!p) {
      p = hashLayer(layer);
      layerDigests.set(key, p);
    }
    return p;
  };

  const imageOf = (name: string, tag: string, options?: CallOptions): Promise<BuiltImage> => {
    const key = `${name}:${tag}`;
    let p = built.get(key);
    if (!p) {
      const spec = images.find((s) => s.name === name && s.tag === tag);
      if (!spec) return Promise.reject(new FerryError('NOT_FOUND', `synthetic image ${key} does not exist`));
      p = buildImage(spec, digestLayer);
      built.set(key, p);
    }
    return race(p, options?.signal);
  };

  const names = [...new Set(images.map((s) => s.name))].sort();

  const repository = (name: string): Repository => {
    const tags = images.filter((s) => s.name === name).map((s) => s.tag).sort();
    if (tags.length === 0) throw new FerryError('NOT_FOUND', `synthetic repository "${name}" does not exist (have: ${names.join(', ') || 'none'})`);
    const display = `synthetic:${name}`;
    const all = (opts?: CallOptions): Promise<BuiltImage[]> => Promise.all(tags.map((t) => imageOf(name, t, opts)));

    const findManifest = async (reference: string, opts?: CallOptions): Promise<RawManifest | undefined> => {
      throwIfAborted(opts?.signal);
      if (!isDigest(reference)) return tags.includes(reference) ? (await imageOf(name, reference, opts)).top : undefined;
      for (const image of await all(opts)) {
        const m = image.manifests.find((x) => x.digest === reference);
        if (m) return m;
      }
      return undefined;
    };
    const findBlob = async (digest: Digest, opts?: CallOptions): Promise<SyntheticBlob | undefined> => {
      for (const image of await all(opts)) {
        const blob = image.blobs.get(digest);
        if (blob) return blob;
      }
      return undefined;
    };
    const readOnly = (verb: string): never => {
      throw new FerryError('UNSUPPORTED', `${display}: ${verb} is not supported, synthetic repositories are read-only`);
    };

    return {
      display,
      storageId,
      repository: name,
      capabilities: CAPABILITIES,
      async blobHead(digest, opts) {
        const blob = await findBlob(digest, opts);
        if (!blob) return undefined;
        return blob.kind === 'config' ? blob.bytes.length : blob.layer.size;
      },
      async blobGet(descriptor, opts = {}) {
        const blob = await findBlob(descriptor.digest, opts);
        if (!blob) throw new FerryError('NOT_FOUND', `${display}: blob ${descriptor.digest} does not exist`);
        return blobStream(blob, opts);
      },
      blobPut: async () => readOnly('blob upload'),
      async manifestHead(reference, opts) {
        const m = await findManifest(reference, opts);
        return m ? descriptorOf(m) : undefined;
      },
      async manifestGet(reference, opts) {
        const m = await findManifest(reference, opts);
        if (!m) throw new FerryError('NOT_FOUND', `${display}: manifest ${reference} does not exist`);
        return { bytes: Uint8Array.from(m.bytes), mediaType: m.mediaType, digest: m.digest };
      },
      manifestPut: async () => readOnly('manifest upload'),
      manifestDelete: async () => readOnly('manifest delete'),
      async tagList(opts) {
        throwIfAborted(opts?.signal);
        return [...tags];
      },
      async close() {},
    };
  };

  return { storageId, names: () => [...names], repository, image: imageOf };
}

/** The single-repository case: every spec must share one `name`. */
export function syntheticRepository(images: SyntheticImageSpec[], options: SyntheticStoreOptions = {}): Repository {
  const names = new Set(images.map((s) => s.name));
  if (names.size !== 1) {
    throw new FerryError('USAGE', `syntheticRepository needs images of exactly one name (got ${[...names].join(', ') || 'none'}); use syntheticStore for several`);
  }
  return syntheticStore(images, options).repository([...names][0]!);
}
