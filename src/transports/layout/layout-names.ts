import { ANNOTATION_REF_NAME, ANNOTATION_SOURCE, type Descriptor } from '../../oci/descriptor.ts';
import { isValidTag, parseReference, type ImageReference } from '../../ref/reference.ts';

export { isValidTag };

/**
 * Annotation ferry puts on index.json entries that have no ref name: the
 * repository an untagged manifest (pushed by digest, e.g. a referrer or a
 * signature) belongs to, so the registry and `tagList` can scope it.
 */
export const ANNOTATION_REPOSITORY = 'io.ferry.repository';

// Distribution's grammar: path components of lowercase alphanumerics joined by separators.
const REPOSITORY_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
// OCI image-layout ref.name grammar (components joined by - . _ : @ / + and --).
const REF_NAME_RE = /^[A-Za-z0-9]+(?:(?:[-._:@/+]|--)[A-Za-z0-9]+)*$/;
/** Same limit as distribution: longer repository names are refused. */
export const MAX_REPOSITORY_LENGTH = 255;

export function isValidRepository(name: string): boolean {
  return name.length > 0 && name.length <= MAX_REPOSITORY_LENGTH && REPOSITORY_RE.test(name);
}

/** Whether a bare layout name (`oci:/path:NAME`) is a valid OCI ref name. */
export function isValidRefName(name: string): boolean {
  return name.length <= 512 && REF_NAME_RE.test(name);
}

/** The index.json ref name of `tag` in `repository` (`library/nginx:1.25`), or the bare name when repository is ''. */
export function refNameOf(repository: string, tag: string): string {
  return repository === '' ? tag : `${repository}:${tag}`;
}

/** Splits `repo:tag` at the last colon when both halves are valid; undefined for bare names. */
export function splitRefName(refName: string): { repository: string; tag: string } | undefined {
  const colon = refName.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const repository = refName.slice(0, colon);
  const tag = refName.slice(colon + 1);
  return isValidRepository(repository) && isValidTag(tag) ? { repository, tag } : undefined;
}

export function entryRefName(entry: Descriptor): string | undefined {
  return entry.annotations?.[ANNOTATION_REF_NAME];
}

/** The repository an entry belongs to: from its ref name, or from {@link ANNOTATION_REPOSITORY} when untagged. */
export function entryRepository(entry: Descriptor): string | undefined {
  const ref = entryRefName(entry);
  if (ref !== undefined) return splitRefName(ref)?.repository;
  return entry.annotations?.[ANNOTATION_REPOSITORY];
}

/** The tag of an entry within `repository` ('' = bare names: the whole ref name), or undefined. */
export function entryTag(entry: Descriptor, repository: string): string | undefined {
  const ref = entryRefName(entry);
  if (ref === undefined) return undefined;
  if (repository === '') return ref;
  const split = splitRefName(ref);
  return split?.repository === repository ? split.tag : undefined;
}

/** Whether an entry belongs to `repository` at all, tagged or not ('' = every entry). */
export function entryInRepository(entry: Descriptor, repository: string): boolean {
  return repository === '' || entryRepository(entry) === repository;
}

/** The registry image an entry records it was copied from (`io.ferry.source`), when it records one that parses. */
export function entrySource(entry: Descriptor): ImageReference | undefined {
  const source = entry.annotations?.[ANNOTATION_SOURCE];
  if (source === undefined) return undefined;
  try {
    return parseReference(source.replace(/^docker:\/\//, ''));
  } catch {
    return undefined;
  }
}
