import { ANNOTATION_REF_NAME, type Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { ANNOTATION_REPOSITORY, entryInRepository, entryRefName, entryTag } from './layout-names.ts';

/** What is recorded about a manifest in an index.json entry. */
export interface ManifestEntryInput {
  mediaType: string;
  digest: Digest;
  size: number;
  artifactType?: string | undefined;
}

/**
 * Entries with `refName` pointing at the manifest: any previous entry of that
 * name is replaced (a tag moves), never duplicated.
 */
export function withTaggedEntry(entries: Descriptor[], manifest: ManifestEntryInput, refName: string, annotations: Record<string, string> = {}): Descriptor[] {
  const kept = entries.filter((e) => entryRefName(e) !== refName);
  kept.push(entryOf(manifest, { ...annotations, [ANNOTATION_REF_NAME]: refName }));
  return kept;
}

/**
 * Entries with an untagged record of the manifest in `repository`, unless the
 * repository already holds it (tagged or not). Returns undefined for "no change".
 * `annotations` go on the new record; through the bare-name view (`repository`
 * ''), their {@link ANNOTATION_REPOSITORY} names the repository.
 */
export function withUntaggedEntry(entries: Descriptor[], manifest: ManifestEntryInput, repository: string, annotations: Record<string, string> = {}): Descriptor[] | undefined {
  const repo = repository !== '' ? repository : (annotations[ANNOTATION_REPOSITORY] ?? '');
  if (entries.some((e) => e.digest === manifest.digest && entryInRepository(e, repo))) return undefined;
  return [...entries, entryOf(manifest, repo === '' ? annotations : { ...annotations, [ANNOTATION_REPOSITORY]: repo })];
}

/** Entries without `repository`'s untagged records of these digests (children now reachable from a tagged index). */
export function withoutUntagged(entries: Descriptor[], repository: string, digests: ReadonlySet<string>): Descriptor[] | undefined {
  const kept = entries.filter((e) => !(entryRefName(e) === undefined && digests.has(e.digest) && entryInRepository(e, repository)));
  return kept.length === entries.length ? undefined : kept;
}

/** Entries without the tag `tag` of `repository`; undefined when it was absent. */
export function withoutTag(entries: Descriptor[], repository: string, tag: string): Descriptor[] | undefined {
  const kept = entries.filter((e) => entryTag(e, repository) !== tag);
  return kept.length === entries.length ? undefined : kept;
}

/** Entries without every record (tags and untagged) of `digest` in `repository`; undefined when there was none. */
export function withoutDigest(entries: Descriptor[], repository: string, digest: Digest): Descriptor[] | undefined {
  const kept = entries.filter((e) => !(e.digest === digest && entryInRepository(e, repository)));
  return kept.length === entries.length ? undefined : kept;
}

function entryOf(m: ManifestEntryInput, annotations: Record<string, string>): Descriptor {
  const entry: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.size };
  if (m.artifactType !== undefined) entry.artifactType = m.artifactType;
  if (Object.keys(annotations).length > 0) entry.annotations = annotations;
  return entry;
}
