import { isDigest } from '../oci/digest.ts';
import { parseReference } from '../ref/reference.ts';
import { reportReference, tagKey, type ReportImage } from './sync-report.ts';

/** Destination `registry/repository:tag` → the digest the sync copied there. */
export type DigestPins = ReadonlyMap<string, string>;

/**
 * The pins a sync report provides: each copied or skipped (already present)
 * registry destination with a digest. Failed images give none.
 */
export function digestPins(images: readonly ReportImage[]): DigestPins {
  const pins = new Map<string, string>();
  for (const image of images) {
    if (image.status === 'failed' || image.status === 'planned' || image.digest === undefined || !isDigest(image.digest)) continue;
    const ref = reportReference(image.destination);
    // A destination written by digest alone pins no tag.
    if (ref !== undefined && !(ref.tag === undefined && ref.digest !== undefined)) pins.set(tagKey(ref), image.digest);
  }
  return pins;
}

/**
 * `image` with its tag replaced by the pinned digest (`reg/app:1` →
 * `reg/app@sha256:…`), keeping the rest as written. Undefined when the image
 * already has a digest, cannot be parsed, or the report has no pin for it.
 * An image without a tag is looked up as `:latest`, as a pull would.
 */
export function pinDigest(image: string, pins: DigestPins): string | undefined {
  let ref;
  try {
    ref = parseReference(image);
  } catch {
    return undefined;
  }
  if (ref.digest !== undefined) return undefined;
  const digest = pins.get(tagKey(ref));
  if (digest === undefined) return undefined;
  const name = ref.tag !== undefined ? image.slice(0, image.length - ref.tag.length - 1) : image;
  return `${name}@${digest}`;
}
