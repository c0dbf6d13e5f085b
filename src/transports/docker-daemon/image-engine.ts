import type { Readable } from 'node:stream';
import type { Digest } from '../../oci/digest.ts';
import { parseReference, type ImageReference } from '../../ref/reference.ts';
import type { EngineClient } from './engine-client.ts';

/** An image as a local engine knows it. */
export interface EngineImage {
  /** The image ID, which is the digest of its config (Docker ≥ 1.10, Podman). */
  id: Digest;
  /** Its names, as the engine lists them. */
  repoTags: string[];
}

/**
 * What a local container engine (Docker daemon, Podman service) offers ferry:
 * images are found by name or ID, leave as a `docker save` tar and arrive as
 * one. The engine keeps an image's config and layers, not its manifest, so
 * the manifest ferry shows is synthesized from the tar (as skopeo does).
 */
export interface ImageEngine {
  /** The transport name, `docker-daemon` or `containers-storage`. */
  readonly transport: string;
  readonly client: EngineClient;
  /** Identity of the image store: blobs and images of one engine are the same storage. */
  readonly storageId: string;
  /** Answers when the engine is reachable; fails with a clear error (no socket, permission denied) otherwise. */
  ping(signal?: AbortSignal): Promise<void>;
  /** The image a name (`docker.io/library/app:1`, `app@sha256:…`) or ID names; undefined when there is none. */
  find(nameOrId: string, signal?: AbortSignal): Promise<EngineImage | undefined>;
  /** The image with this ID as an uncompressed `docker save` tar stream. */
  exportImage(id: Digest, signal?: AbortSignal): Promise<Readable>;
  /** Loads a `docker save` tar; resolves once the engine has stored it, with the names it reports. */
  loadImages(archive: Readable, signal?: AbortSignal): Promise<string[]>;
  /** The tags of one repository among the engine's images, sorted, each with its image's creation time. */
  tags(repository: ImageReference, signal?: AbortSignal): Promise<Map<string, Date | undefined>>;
  close(): Promise<void>;
}

/** One entry of an engine's image list: its names and creation time (seconds since the epoch). */
export interface ListedImage {
  names: readonly string[];
  created?: number | undefined;
}

/**
 * The tags, among the images an engine lists, of `repository` (names compared
 * normalised: `app:1` is `docker.io/library/app:1`), sorted, with creation times.
 */
export function tagsOf(images: Iterable<ListedImage>, repository: ImageReference): Map<string, Date | undefined> {
  const tags = new Map<string, Date | undefined>();
  for (const image of images) {
    for (const name of image.names) {
      let ref: ImageReference;
      try {
        ref = parseReference(name);
      } catch {
        continue; // `<none>:<none>` and other names no reference can address
      }
      if (ref.registry !== repository.registry || ref.repository !== repository.repository || ref.tag === undefined) continue;
      tags.set(ref.tag, image.created !== undefined ? new Date(image.created * 1000) : undefined);
    }
  }
  return new Map([...tags].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Resources the images of one run share (a sync opens each image twice: to
 * plan and to copy): the value under `key` is made on first use and
 * disposed when the run ends.
 */
export interface SharedResources {
  shared<T>(key: string, create: () => T, dispose?: (value: T) => Promise<void> | void): T;
}
