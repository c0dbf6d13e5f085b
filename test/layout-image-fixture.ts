import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import type { Descriptor } from '../src/oci/descriptor.ts';
import type { Digest } from '../src/oci/digest.ts';
import type { RawManifest } from '../src/oci/manifest.ts';
import { MediaType } from '../src/oci/media-types.ts';

/** Tiny hand-made OCI images for the layout and server tests (config + tar layers + manifest). */

export interface Blob {
  descriptor: Descriptor;
  bytes: Buffer;
}

export interface TestImage {
  blobs: Blob[];
  manifest: RawManifest;
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export function raw(value: unknown, mediaType: string): RawManifest {
  const bytes = Buffer.from(JSON.stringify(value));
  return { bytes, mediaType, digest: sha256(bytes) };
}

async function tarOf(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mtime: new Date(0), mode: 0o644 }, content);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface ImageOptions {
  /** Distinct content for each image; layers with the same `shared` key are identical across images. */
  seed: string;
  layers?: number;
  /** Bytes of filler per layer file. */
  layerBytes?: number;
  /** Keys of layers shared with other images (prepended). */
  shared?: string[];
  architecture?: string;
  subject?: Descriptor;
  artifactType?: string;
}

export async function makeImage(options: ImageOptions): Promise<TestImage> {
  const layers: Blob[] = [];
  const diffIds: string[] = [];
  const keys = [...(options.shared ?? []).map((k) => `shared-${k}`), ...Array.from({ length: options.layers ?? 1 }, (_, i) => `${options.seed}-${i}`)];
  for (const key of keys) {
    const filler = Buffer.alloc(options.layerBytes ?? 100, key);
    const tarBytes = await tarOf({ [`${key}.txt`]: filler });
    // Compressed like real images, so skopeo pushes them unchanged (it compresses plain tar layers, changing digests).
    const bytes = gzipSync(tarBytes, { level: 1 });
    layers.push({ bytes, descriptor: { mediaType: MediaType.ociLayerGzip, digest: sha256(bytes), size: bytes.byteLength } });
    diffIds.push(sha256(tarBytes));
  }
  const configBytes = Buffer.from(JSON.stringify({
    architecture: options.architecture ?? 'amd64',
    os: 'linux',
    config: { Labels: { seed: options.seed } },
    rootfs: { type: 'layers', diff_ids: diffIds },
  }));
  const config: Blob = { bytes: configBytes, descriptor: { mediaType: MediaType.ociConfig, digest: sha256(configBytes), size: configBytes.byteLength } };
  const manifest = raw({
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config: config.descriptor,
    layers: layers.map((l) => l.descriptor),
    ...(options.subject ? { subject: options.subject } : {}),
  }, MediaType.ociManifest);
  return { blobs: [config, ...layers], manifest };
}

export interface TestIndex {
  images: TestImage[];
  index: RawManifest;
}

/** A multi-arch OCI index over one image per architecture. */
export async function makeIndex(seed: string, architectures = ['amd64', 'arm64']): Promise<TestIndex> {
  const images = await Promise.all(architectures.map((architecture) => makeImage({ seed: `${seed}-${architecture}`, architecture })));
  const index = raw({
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: images.map((img, i) => ({
      mediaType: img.manifest.mediaType, digest: img.manifest.digest, size: img.manifest.bytes.byteLength,
      platform: { os: 'linux', architecture: architectures[i]! },
    })),
  }, MediaType.ociIndex);
  return { images, index };
}

export function descriptorOf(m: RawManifest): Descriptor {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
}
