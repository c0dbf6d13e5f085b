import { MediaType } from '../../oci/media-types.ts';
import type { Capabilities } from '../../repository/repository.ts';

/**
 * What a local engine (Docker daemon, Podman's storage) can hold, as the copy
 * engine reads it: one image for one platform (no manifest lists, so `--all`
 * of an index is refused and `--platform` picks one), written as one `docker
 * load` stream (one blob at a time), and stored as config and layers without
 * the manifest, so a manifest digest does not survive the trip
 * (`--preserve-digests` is refused). The config, and so the image ID, is kept
 * byte for byte.
 */
export const ENGINE_CAPABILITIES: Capabilities = Object.freeze({
  manifestTypes: Object.freeze([MediaType.dockerManifest, MediaType.ociManifest]),
  indexes: false,
  maxConcurrentBlobWrites: 1,
  crossRepoMount: false,
  blobsBeforeManifest: true,
  preservesDigests: false,
});
