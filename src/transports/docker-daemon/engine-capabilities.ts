import type { Capabilities } from '../../repository/repository.ts';
import { DOCKER_ARCHIVE_CAPABILITIES } from '../docker-archive/index.ts';

/**
 * What a local engine (Docker daemon, Podman's storage) can hold, as the copy
 * engine reads it. An image enters and leaves it as a `docker save` tar, so it
 * can do what a docker-archive can: one image for one platform (no manifest
 * lists, so `--all` of an index is refused and `--platform` picks one),
 * written as one stream (one blob at a time), and stored as config and layers
 * without the manifest, so a manifest digest does not survive the trip
 * (`--preserve-digests` is refused). The config, and so the image ID, is
 * kept byte for byte.
 */
export const ENGINE_CAPABILITIES: Capabilities = DOCKER_ARCHIVE_CAPABILITIES;
