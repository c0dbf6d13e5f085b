import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import type { Descriptor } from '../oci/descriptor.ts';
import type { Digest } from '../oci/digest.ts';
import { parseManifest, type RawManifest } from '../oci/manifest.ts';
import { currentPlatform, platformMatches } from '../oci/platform.ts';
import { verifyingStream } from '../oci/verify-stream.ts';
import type { ImageTarget } from '../repository/repository.ts';
import { decompressor, type Compression } from '../tar/compression.ts';
import { readAtMost } from '../util/read-at-most.ts';
import {
  IMAGE_REFERENCES_FILE, RELEASE_METADATA_FILE, parseImageReferences, parseReleaseMetadata, type ImageReferences, type ReleaseMetadata,
} from './image-references.ts';

/** image-references lists a few hundred images (~100 KiB); anything this large is not one. */
const MAX_RELEASE_FILE_BYTES = 16 * 1024 * 1024;

/** A release image, read: its digest and what its payload says. */
export interface ReleasePayload {
  /** Digest of the manifest the release reference names (an index for a multi-architecture release): what signatures sign. */
  digest: Digest;
  mediaType: string;
  references: ImageReferences;
  metadata?: ReleaseMetadata | undefined;
}

export interface ReadReleasePayloadOptions {
  signal?: AbortSignal | undefined;
  /** Told of things worth knowing that do not stop the run. */
  onWarning?: ((message: string) => void) | undefined;
}

function compressionOf(layer: Descriptor): Compression {
  if (/[+.]gzip$/.test(layer.mediaType)) return 'gzip';
  if (/\+zstd$/.test(layer.mediaType)) return 'zstd';
  return 'none';
}

/** `release-manifests/x`, `./release-manifests/x` and `/release-manifests/x` are one file. */
function entryName(name: string): string {
  return name.replace(/^(\.?\/)+/, '');
}

/**
 * Reads `wanted` files out of one layer. The whole layer is read, so its
 * digest is verified before anything found in it is returned.
 */
async function filesOfLayer(source: ImageTarget, layer: Descriptor, wanted: ReadonlySet<string>, signal: AbortSignal | undefined): Promise<Map<string, Buffer>> {
  const where = `${source.display}: layer ${layer.digest}`;
  const found = new Map<string, Buffer>();
  const extract = tar.extract();
  const consume = async (): Promise<void> => {
    for await (const entry of extract as AsyncIterable<Readable & { header: tar.Header }>) {
      const name = entryName(entry.header.name);
      if (!wanted.has(name) || entry.header.type !== 'file') {
        entry.resume();
        continue;
      }
      const bytes = await readAtMost(entry, MAX_RELEASE_FILE_BYTES);
      if (bytes === undefined) throw new FerryError('INVALID_MANIFEST', `${where}: ${name} is over ${MAX_RELEASE_FILE_BYTES} bytes`);
      found.set(name, bytes);
    }
  };
  const blob = await source.repository.blobGet(layer, { signal });
  const steps: NodeJS.ReadWriteStream[] = [verifyingStream(layer, { where })];
  const unzip = decompressor(compressionOf(layer));
  if (unzip) steps.push(unzip);
  const feeding = pipeline([blob, ...steps, extract], signal ? { signal } : {});
  const [fed, consumed] = await Promise.allSettled([feeding, consume()]);
  if (fed.status === 'fulfilled' && consumed.status === 'fulfilled') return found;
  blob.destroy();
  extract.destroy();
  if (signal?.aborted) throw abortError(signal);
  const error: unknown = fed.status === 'rejected' ? fed.reason : (consumed as PromiseRejectedResult).reason;
  if (error instanceof FerryError) throw error;
  throw new FerryError('INVALID_MANIFEST', `${where}: cannot read the layer as a tar (${(error as Error).message})`, { cause: error });
}

/** The image of a release to read the payload from: the release itself, or for an index the instance of this machine's platform (else the first). */
async function payloadImage(source: ImageTarget, top: RawManifest, signal: AbortSignal | undefined): Promise<Descriptor[]> {
  const parsed = parseManifest(top.bytes, top.mediaType, source.display);
  if (parsed.kind === 'image') return parsed.manifest.layers;
  const entries = parsed.index.manifests;
  const chosen = entries.find((d) => platformMatches(d.platform, currentPlatform())) ?? entries.find((d) => d.platform?.os !== 'unknown');
  if (!chosen) throw new FerryError('INVALID_MANIFEST', `${source.display}: the release index lists no image`);
  const raw = await source.repository.manifestGet(chosen.digest, { signal });
  const image = parseManifest(raw.bytes, raw.mediaType, `${source.display}@${chosen.digest}`);
  if (image.kind !== 'image') throw new FerryError('UNSUPPORTED', `${source.display}: nested index ${chosen.digest} is not supported`);
  return image.manifest.layers;
}

/**
 * Reads a release image: the digest its reference names, and
 * `release-manifests/image-references` (required) and `release-metadata`
 * (when present) from its layers, the topmost copy of each winning. Layers
 * are read from the top down and only until both files are found; every
 * layer read is verified against its digest.
 *
 * @throws FerryError `INVALID_MANIFEST` when the image holds no image-references or it is malformed.
 */
export async function readReleasePayload(source: ImageTarget, options: ReadReleasePayloadOptions = {}): Promise<ReleasePayload> {
  const { signal } = options;
  const top = await source.repository.manifestGet(source.reference ?? 'latest', { signal });
  const layers = await payloadImage(source, top, signal);
  const files = new Map<string, Buffer>();
  for (const layer of [...layers].reverse()) {
    throwIfAborted(signal);
    const wanted = new Set([IMAGE_REFERENCES_FILE, RELEASE_METADATA_FILE].filter((f) => !files.has(f)));
    if (wanted.size === 0) break;
    for (const [name, bytes] of await filesOfLayer(source, layer, wanted, signal)) files.set(name, bytes);
  }
  const referencesBytes = files.get(IMAGE_REFERENCES_FILE);
  if (referencesBytes === undefined) {
    throw new FerryError('INVALID_MANIFEST', `${source.display} holds no ${IMAGE_REFERENCES_FILE}`, { hint: 'this is not an OpenShift release image; give the release image itself (e.g. quay.io/openshift-release-dev/ocp-release:4.3.0-x86_64)' });
  }
  const references = parseImageReferences(referencesBytes, `${source.display}: ${IMAGE_REFERENCES_FILE}`);
  const metadataBytes = files.get(RELEASE_METADATA_FILE);
  const metadata = metadataBytes !== undefined ? parseReleaseMetadata(metadataBytes, `${source.display}: ${RELEASE_METADATA_FILE}`) : undefined;
  if (metadata !== undefined && metadata.version !== references.version) {
    options.onWarning?.(`${source.display}: release-metadata says version ${metadata.version}, image-references ${references.version}; using ${references.version}, as oc does`);
  }
  return { digest: top.digest, mediaType: top.mediaType, references, metadata };
}
