import { isDigest } from '../oci/digest.ts';
import { parseReference, type ImageReference } from '../ref/reference.ts';
import { reportReference, tagKey, type ReportImage } from './sync-report.ts';

/**
 * The digests a sync report recorded, looked up four ways. Keys are
 * `registry/repository:tag` (`latest` for no tag); the `…Repository` maps
 * leave the registry out (`repository:tag`), for images whose registry has
 * another name in the resources than in the report: the cluster's internal
 * service name against its public route. A key two entries give different
 * digests is left out of those.
 */
export interface DigestPins {
  readonly byDestination: ReadonlyMap<string, string>;
  readonly bySource: ReadonlyMap<string, string>;
  readonly byDestinationRepository: ReadonlyMap<string, string>;
  readonly bySourceRepository: ReadonlyMap<string, string>;
  /** Report entries that give a pin (copied or already present, with a digest). */
  readonly entries: number;
}

function repositoryKey(ref: ImageReference): string {
  return `${ref.repository}:${ref.tag ?? 'latest'}`;
}

/** A report reference usable as a key: a registry reference with a tag (or none, meaning latest), not digest-only. */
function taggedReference(value: string): ImageReference | undefined {
  const ref = reportReference(value);
  return ref !== undefined && !(ref.tag === undefined && ref.digest !== undefined) ? ref : undefined;
}

function addUnique(map: Map<string, string>, conflicts: Set<string>, key: string, digest: string): void {
  const known = map.get(key);
  if (known !== undefined && known !== digest) {
    map.delete(key);
    conflicts.add(key);
  } else if (!conflicts.has(key)) {
    map.set(key, digest);
  }
}

/**
 * The pins a sync report provides: each copied or skipped (already present)
 * image with a digest, by its destination and by its source. Failed images
 * give none.
 */
export function digestPins(images: readonly ReportImage[]): DigestPins {
  const byDestination = new Map<string, string>();
  const bySource = new Map<string, string>();
  const byDestinationRepository = new Map<string, string>();
  const bySourceRepository = new Map<string, string>();
  const conflicts = { destination: new Set<string>(), source: new Set<string>() };
  let entries = 0;
  for (const image of images) {
    if (image.status === 'failed' || image.status === 'planned' || image.digest === undefined || !isDigest(image.digest)) continue;
    const destination = taggedReference(image.destination);
    const source = taggedReference(image.source);
    if (destination === undefined && source === undefined) continue;
    entries++;
    if (destination !== undefined) {
      byDestination.set(tagKey(destination), image.digest);
      addUnique(byDestinationRepository, conflicts.destination, repositoryKey(destination), image.digest);
    }
    if (source !== undefined) {
      bySource.set(tagKey(source), image.digest);
      addUnique(bySourceRepository, conflicts.source, repositoryKey(source), image.digest);
    }
  }
  return { byDestination, bySource, byDestinationRepository, bySourceRepository, entries };
}

function parse(image: string): ImageReference | undefined {
  try {
    return parseReference(image);
  } catch {
    return undefined;
  }
}

/**
 * `image` with its tag replaced by the pinned digest (`reg/app:1` →
 * `reg/app@sha256:…`), keeping the rest as written. Undefined when the image
 * already has a digest, cannot be parsed, or the report has no pin for it.
 * An image without a tag is looked up as `:latest`, as a pull would.
 *
 * The lookup: `image` among the report's destinations. When a `--replace`
 * rule made `image` out of `original`, also `original` among the sources,
 * then, ignoring the registry's name, `original`'s repository and tag among
 * the sources and `image`'s among the destinations: the crane case, where
 * the workloads name the cluster's internal registry and the report its
 * routes.
 */
export function pinDigest(image: string, pins: DigestPins, original?: string): string | undefined {
  const ref = parse(image);
  if (ref === undefined || ref.digest !== undefined) return undefined;
  let digest = pins.byDestination.get(tagKey(ref));
  const before = original !== undefined && original !== image ? parse(original) : undefined;
  if (digest === undefined && before !== undefined && before.digest === undefined) {
    digest = pins.bySource.get(tagKey(before)) ?? pins.bySourceRepository.get(repositoryKey(before)) ?? pins.byDestinationRepository.get(repositoryKey(ref));
  }
  if (digest === undefined) return undefined;
  const name = ref.tag !== undefined ? image.slice(0, image.length - ref.tag.length - 1) : image;
  return `${name}@${digest}`;
}
