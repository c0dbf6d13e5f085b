import type { Descriptor, Platform } from '../oci/descriptor.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import type { RawManifest } from '../oci/manifest.ts';
import { MediaType } from '../oci/media-types.ts';
import { syntheticLayer, type SyntheticLayer } from './synthetic-layer.ts';

/** What one synthetic image (or multi-platform index) looks like. */
export interface SyntheticImageSpec {
  /** Repository path, e.g. `team/app`. */
  name: string;
  tag: string;
  /** Sizes in bytes of the image's own layers (each at least MIN_LAYER_SIZE). */
  layers: number[];
  /** Content seed; defaults to `name:tag`. Equal specs with equal seeds give equal digests. */
  seed?: string;
  /** More than one makes an index with one image per platform (each with its own layer bytes). Default linux/amd64. */
  platforms?: Array<{ os: string; architecture: string; variant?: string }>;
  /** Base layers shared between images and platforms, placed before `layers`. */
  sharedLayers?: Array<{ size: number; seed: string }>;
  /** RFC 3339 creation time in the config (default 2024-01-01T00:00:00Z). */
  created?: string;
  labels?: Record<string, string>;
  /** Config Env (default a PATH). */
  env?: string[];
  /** Manifest flavour (default oci). */
  mediaTypes?: 'oci' | 'docker';
}

/** Docker's media type for an uncompressed layer (src/oci lists only the gzip one). */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

const DEFAULT_CREATED = '2024-01-01T00:00:00Z';
const DEFAULT_ENV = ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'];
const DEFAULT_PLATFORM = { os: 'linux', architecture: 'amd64' };

/** A blob the synthetic store can serve. */
export type SyntheticBlob = { kind: 'config'; mediaType: string; bytes: Buffer } | { kind: 'layer'; mediaType: string; layer: SyntheticLayer };

/** One platform's image inside a built image. */
export interface SyntheticPlatformImage {
  platform: Platform;
  manifest: RawManifest;
  config: Descriptor;
  layers: Descriptor[];
}

/** A spec turned into bytes: the top manifest, every manifest under it, every blob. */
export interface BuiltImage {
  name: string;
  tag: string;
  /** The manifest the tag points at: an index when there are several platforms. */
  top: RawManifest;
  /** The top manifest and, for an index, each platform's manifest. */
  manifests: RawManifest[];
  images: SyntheticPlatformImage[];
  blobs: Map<Digest, SyntheticBlob>;
}

/** Layer descriptions of one platform's image, in order (shared first); no hashing happens here. */
export function planLayers(spec: SyntheticImageSpec, platform: { os: string; architecture: string; variant?: string }): SyntheticLayer[] {
  const base = spec.seed ?? `${spec.name}:${spec.tag}`;
  const key = [platform.os, platform.architecture, platform.variant ?? ''].join('/');
  return [
    ...(spec.sharedLayers ?? []).map((l) => syntheticLayer(l.seed, l.size)),
    ...spec.layers.map((size, i) => syntheticLayer(`${base}/${key}/${i}`, size)),
  ];
}

function platformsOf(spec: SyntheticImageSpec): Array<{ os: string; architecture: string; variant?: string }> {
  return spec.platforms && spec.platforms.length > 0 ? spec.platforms : [DEFAULT_PLATFORM];
}

function raw(json: unknown, mediaType: string): RawManifest {
  const bytes = Buffer.from(JSON.stringify(json));
  return { bytes, mediaType, digest: digestOf(bytes) };
}

/**
 * Builds every manifest and config of a spec. `digest` supplies (and caches)
 * layer digests, which are the expensive part.
 */
export async function buildImage(spec: SyntheticImageSpec, digest: (layer: SyntheticLayer) => Promise<Digest>): Promise<BuiltImage> {
  const docker = spec.mediaTypes === 'docker';
  const types = docker
    ? { manifest: MediaType.dockerManifest, index: MediaType.dockerManifestList, config: MediaType.dockerConfig, layer: DOCKER_LAYER_TAR }
    : { manifest: MediaType.ociManifest, index: MediaType.ociIndex, config: MediaType.ociConfig, layer: MediaType.ociLayer };
  const created = spec.created ?? DEFAULT_CREATED;
  const blobs = new Map<Digest, SyntheticBlob>();
  const images: SyntheticPlatformImage[] = [];

  for (const p of platformsOf(spec)) {
    const platform: Platform = p.variant === undefined ? { architecture: p.architecture, os: p.os } : { architecture: p.architecture, os: p.os, variant: p.variant };
    const planned = planLayers(spec, p);
    const layers: Descriptor[] = [];
    for (const layer of planned) {
      // Sequential: hashing is CPU-bound and the machine is shared.
      const d = await digest(layer);
      layers.push({ mediaType: types.layer, digest: d, size: layer.size });
      blobs.set(d, { kind: 'layer', mediaType: types.layer, layer });
    }
    const configJson = {
      created,
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant !== undefined ? { variant: platform.variant } : {}),
      config: { Env: spec.env ?? DEFAULT_ENV, ...(spec.labels ? { Labels: spec.labels } : {}) },
      // Uncompressed layers: the diff_id is the blob digest.
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      history: planned.map((l, i) => ({ created, created_by: `ferry synthetic layer ${i} (${l.size} bytes)` })),
    };
    const configBytes = Buffer.from(JSON.stringify(configJson));
    const config: Descriptor = { mediaType: types.config, digest: digestOf(configBytes), size: configBytes.length };
    blobs.set(config.digest, { kind: 'config', mediaType: types.config, bytes: configBytes });
    const manifest = raw({ schemaVersion: 2, mediaType: types.manifest, config, layers }, types.manifest);
    images.push({ platform, manifest, config, layers });
  }

  if (images.length === 1) {
    const only = images[0]!;
    return { name: spec.name, tag: spec.tag, top: only.manifest, manifests: [only.manifest], images, blobs };
  }
  const index = raw(
    {
      schemaVersion: 2,
      mediaType: types.index,
      manifests: images.map((i) => ({ mediaType: i.manifest.mediaType, digest: i.manifest.digest, size: i.manifest.bytes.length, platform: i.platform })),
    },
    types.index,
  );
  return { name: spec.name, tag: spec.tag, top: index, manifests: [index, ...images.map((i) => i.manifest)], images, blobs };
}
