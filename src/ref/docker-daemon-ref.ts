import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { familiarString, parseReference, withDefaultTag, type ImageReference } from './reference.ts';

/**
 * An image in a Docker daemon, `docker-daemon:REF` as skopeo writes it:
 * either a name (`app:1.0`, `registry.example/ns/app@sha256:…`) or an image
 * ID (`sha256:<64 hex>`, the config digest `docker images --no-trunc` shows).
 * A name without tag or digest means `:latest` (skopeo refuses it; docker's
 * own commands read it so). A name cannot hold both a tag and a digest.
 */
export type DockerDaemonImage = { ref: ImageReference; id?: undefined } | { id: Digest; ref?: undefined };

const ID_RE = /^sha256:[0-9a-f]{64}$/;
const EXAMPLE = 'e.g. docker-daemon:app:1.0 or docker-daemon:sha256:<64 hex image ID>';

function invalid(input: string, rule: string, cause?: unknown): FerryError {
  return new FerryError('INVALID_REFERENCE', `invalid transport reference "docker-daemon:${input}": ${rule}`, { hint: EXAMPLE, cause });
}

/**
 * Parses what follows `docker-daemon:`.
 * @throws FerryError `INVALID_REFERENCE` for an empty reference, a shortened or
 * non-sha256 image ID, a name with both tag and digest, or a malformed name.
 */
export function parseDockerDaemonImage(text: string): DockerDaemonImage {
  if (text === '') throw invalid(text, 'the image reference is empty');
  if (ID_RE.test(text)) return { id: text as Digest };
  // `algorithm:hex` reads like `name:tag`; skopeo keeps the name `sha256` for full image IDs only.
  const head = /^([a-z0-9]+):/.exec(text)?.[1];
  if (head === 'sha256') throw invalid(text, 'an image ID is "sha256:" followed by all 64 hex digits (shortened IDs are not accepted)');
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch (error) {
    throw invalid(text, error instanceof FerryError ? error.message : String(error), error);
  }
  if (ref.tag !== undefined && ref.digest !== undefined) throw invalid(text, 'a name with both a tag and a digest is not supported (skopeo agrees); give one');
  return { ref: withDefaultTag(ref) };
}

/** The inverse of {@link parseDockerDaemonImage}, names in familiar form. */
export function formatDockerDaemonImage(image: DockerDaemonImage): string {
  return image.id !== undefined ? image.id : familiarString(image.ref);
}
