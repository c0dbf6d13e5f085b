/** Media types ferry understands. Manifests are copied byte for byte, so these only steer parsing. */
export const MediaType = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

/** Manifest media types of a single image. */
export const IMAGE_MANIFEST_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
/** Manifest media types that list other manifests. */
export const INDEX_MANIFEST_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];
/** Every manifest media type ferry can copy; the Accept header of manifest requests. */
export const MANIFEST_TYPES: readonly string[] = [...IMAGE_MANIFEST_TYPES, ...INDEX_MANIFEST_TYPES];

export function isIndexMediaType(mediaType: string): boolean {
  return INDEX_MANIFEST_TYPES.includes(mediaType);
}

export function isImageMediaType(mediaType: string): boolean {
  return IMAGE_MANIFEST_TYPES.includes(mediaType);
}

/** Strips parameters such as `; charset=utf-8` from a Content-Type value. */
export function baseMediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}
