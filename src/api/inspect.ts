import { FerryError } from '../errors.ts';
import type { Descriptor } from '../oci/descriptor.ts';
import type { Digest } from '../oci/digest.ts';
import { parseImageConfig } from '../oci/image-config.ts';
import { parseManifest, type RawManifest } from '../oci/manifest.ts';
import { selectInstances } from '../copy/select-instances.ts';
import { parseTransportRef } from '../ref/transport-ref.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';
import type { Repository } from '../repository/repository.ts';
import { readSmallBlob } from '../repository/read-small-blob.ts';
import { instanceSelection } from './copy.ts';

export interface InspectOptions {
  access?: AccessOptions | undefined;
  /** Skip listing the repository's tags (`--no-tags`). */
  noTags?: boolean | undefined;
  /** Which instance of an index to describe; default the current platform, as skopeo. */
  platform?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** `skopeo inspect` output, field names and order included. */
export interface InspectResult {
  /** Repository name for registry images; absent for local transports, as skopeo prints it. */
  Name?: string | undefined;
  Digest: Digest;
  RepoTags: string[];
  Created?: string | undefined;
  DockerVersion: string;
  Labels: Record<string, string> | null;
  Architecture: string;
  Variant?: string | undefined;
  Os: string;
  Layers: string[];
  LayersData: Array<{ MIMEType: string; Digest: Digest; Size: number; Annotations: Record<string, string> | null }>;
  Env: string[] | null;
}

/** What `inspect` reads: the top manifest, the image manifest chosen from it, and that image's config. */
export interface InspectedImage {
  display: string;
  /** Repository name as skopeo prints it (`docker.io/library/nginx`); empty for local transports. */
  name: string;
  repository: Repository;
  top: RawManifest;
  image: RawManifest;
  config: Buffer;
  layers: Descriptor[];
}

export async function loadImage(reference: string, options: InspectOptions): Promise<InspectedImage> {
  const ref = parseTransportRef(reference);
  // skopeo names the repository of every transport that holds a docker reference: registries and the local engines.
  const named = ref.transport === 'docker' || ref.transport === 'docker-daemon' || ref.transport === 'containers-storage' ? ref.ref : undefined;
  const name = named ? `${named.registry}/${named.repository}` : '';
  const target = await openImage(ref, { role: 'source', access: options.access, signal: options.signal });
  try {
    const repo = target.repository;
    const top = await repo.manifestGet(target.reference ?? 'latest', { signal: options.signal });
    let image = top;
    let parsed = parseManifest(top.bytes, top.mediaType, target.display);
    if (parsed.kind === 'index') {
      const chosen = selectInstances(parsed.index, instanceSelection(false, options.platform ? [options.platform] : undefined), target.display);
      if (chosen.kind !== 'single') throw new FerryError('USAGE', 'inspect describes one platform at a time');
      image = await repo.manifestGet(chosen.instance.digest, { signal: options.signal });
      parsed = parseManifest(image.bytes, image.mediaType, `${target.display}@${image.digest}`);
      if (parsed.kind !== 'image') throw new FerryError('UNSUPPORTED', `${target.display}: nested indexes are not supported`);
    }
    const config = await readSmallBlob(repo, parsed.manifest.config, { signal: options.signal });
    return { display: target.display, name, repository: repo, top, image, config, layers: parsed.manifest.layers };
  } catch (err) {
    await target.repository.close();
    throw err;
  }
}

/** The raw top-level manifest bytes (`inspect --raw`). */
export async function inspectRaw(reference: string, options: InspectOptions = {}): Promise<RawManifest> {
  const target = await openImage(reference, { role: 'source', access: options.access, signal: options.signal });
  try {
    return await target.repository.manifestGet(target.reference ?? 'latest', { signal: options.signal });
  } finally {
    await target.repository.close();
  }
}

/** The image config blob (`inspect --config [--raw]`). */
export async function inspectConfig(reference: string, options: InspectOptions = {}): Promise<Buffer> {
  const loaded = await loadImage(reference, options);
  await loaded.repository.close();
  return loaded.config;
}

/** skopeo-compatible image description. */
export async function inspect(reference: string, options: InspectOptions = {}): Promise<InspectResult> {
  const loaded = await loadImage(reference, options);
  try {
    const config = parseImageConfig(loaded.config, loaded.display);
    // skopeo lists tags for registry images only (a layout's names are not tags of one repository).
    const repoTags = options.noTags || !loaded.display.startsWith('docker://') ? [] : await loaded.repository.tagList({ signal: options.signal }).catch(() => []);
    return {
      ...(loaded.name !== '' ? { Name: loaded.name } : {}),
      Digest: loaded.top.digest,
      RepoTags: repoTags,
      ...(config.created !== undefined ? { Created: config.created } : {}),
      DockerVersion: config.docker_version ?? '',
      Labels: config.config?.Labels ?? null,
      Architecture: config.architecture ?? '',
      ...(config.variant !== undefined ? { Variant: config.variant } : {}),
      Os: config.os ?? '',
      Layers: loaded.layers.map((l) => l.digest),
      LayersData: loaded.layers.map((l) => ({ MIMEType: l.mediaType, Digest: l.digest, Size: l.size, Annotations: l.annotations ?? null })),
      Env: config.config?.Env ?? null,
    };
  } finally {
    await loaded.repository.close();
  }
}
