import type { Digest } from '../oci/digest.ts';
import { looksLikeRegistry, parseReference } from './reference.ts';

/** An image of oc's disk format within its directory: the repository path, and a tag or a digest. */
export interface OcDiskName {
  repository: string;
  tag?: string | undefined;
  digest?: Digest | undefined;
}

/**
 * `REPOSITORY[:TAG|@DIGEST]` of oc's disk format, as `oc image mirror` reads
 * `file://NAME`: the path is kept as written (no `library/` is added) and a
 * leading registry host is dropped, since oc stores images under their
 * repository path only.
 *
 * @throws FerryError `INVALID_REFERENCE` when NAME breaks the image reference grammar.
 */
export function parseOcDiskName(name: string): OcDiskName {
  const ref = parseReference(name);
  let path = name.includes('@') ? name.slice(0, name.indexOf('@')) : name;
  if (ref.tag !== undefined) path = path.slice(0, path.lastIndexOf(':'));
  const slash = path.indexOf('/');
  const repository = slash !== -1 && looksLikeRegistry(path.slice(0, slash)) ? path.slice(slash + 1) : path;
  return { repository, ...(ref.tag !== undefined ? { tag: ref.tag } : {}), ...(ref.digest !== undefined ? { digest: ref.digest } : {}) };
}

/** `REPOSITORY[:TAG][@DIGEST]`: the name {@link parseOcDiskName} reads. */
export function formatOcDiskName(name: OcDiskName): string {
  return `${name.repository}${name.tag !== undefined ? `:${name.tag}` : ''}${name.digest !== undefined ? `@${name.digest}` : ''}`;
}
