import { posix } from 'node:path';
import type { Digest } from '../../oci/digest.ts';
import type { LayoutSource } from '../config/sync-spec.ts';

/**
 * One concrete source image, as the engine found it after listing: the input
 * to destination naming and sharding. An image is named by `tag` when it has
 * one, else by `digest`.
 */
export interface SourceImage {
  /** Registry host for registry sources; undefined for OCI layouts. */
  registry?: string | undefined;
  /** Repository path (`library/nginx`); for a layout, see {@link layoutImageOf}. */
  repository: string;
  tag?: string | undefined;
  digest?: Digest | undefined;
  /** For layout images: the `org.opencontainers.image.ref.name` as stored (skopeo's naming uses it verbatim). */
  refName?: string | undefined;
}

/**
 * Which image of a layout a `ref.name` annotation denotes, or undefined when
 * the source's `repository` filter excludes it:
 * - `ns/app:1.0` or `app:1.0` → repository `ns/app` (`app`), tag `1.0`;
 * - `ns/app` (a `/` but no tag) → repository `ns/app`, tag `latest`;
 * - `1.0` (a bare tag, as `skopeo copy … oci:DIR:1.0` writes) → the source's
 *   `repository`, or the layout directory's base name when unset.
 */
export function layoutImageOf(source: LayoutSource, refName: string): SourceImage | undefined {
  let repository: string;
  let tag: string;
  const slash = refName.lastIndexOf('/');
  const colon = refName.lastIndexOf(':');
  if (colon > slash) {
    repository = refName.slice(0, colon);
    tag = refName.slice(colon + 1);
  } else if (slash !== -1) {
    repository = refName;
    tag = 'latest';
  } else {
    repository = source.repository ?? posix.basename(source.path.replace(/\/+$/, '')).toLowerCase();
    tag = refName;
  }
  if (source.repository !== undefined && repository !== source.repository) return undefined;
  return { repository, tag, refName };
}

/**
 * The key sharding hashes: `registry/repository` for registry images, the
 * repository alone for layout images. All tags of a repository share it, so
 * a shard copies whole repositories.
 */
export function repositoryKey(image: Pick<SourceImage, 'registry' | 'repository'>): string {
  return image.registry === undefined ? image.repository : `${image.registry}/${image.repository}`;
}
