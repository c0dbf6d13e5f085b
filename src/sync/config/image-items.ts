import { isDigest, parseDigest, type Digest } from '../../oci/digest.ts';
import { FerryError } from '../../errors.ts';
import { parseReference, type ImageReference } from '../../ref/reference.ts';
import type { ExplicitTags, TagFilter } from './sync-spec.ts';

/** Same grammar as distribution's tags. */
export const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * A tag or a digest, as skopeo's `images:` lists hold them (skopeo tries a
 * digest first, then a tag). Tags cannot contain ":", so anything with one
 * must be a digest.
 * @returns the item, or a string saying what is wrong.
 */
export function parseTagOrDigest(text: string): { tag: string } | { digest: Digest } | string {
  if (text.includes(':')) {
    if (isDigest(text)) return { digest: text };
    try {
      parseDigest(text);
    } catch (error) {
      return error instanceof FerryError ? error.message : String(error);
    }
  }
  if (!TAG_RE.test(text)) return `invalid tag "${text}": tags are 1-128 letters, digits, "_", "." and "-", not starting with "." or "-"`;
  return { tag: text };
}

/** An explicit selector from tag/digest items, deduplicated, in order. */
export function explicitTags(items: readonly ({ tag: string } | { digest: Digest })[]): ExplicitTags {
  const tags = new Set<string>();
  const digests = new Set<Digest>();
  for (const item of items) {
    if ('tag' in item) tags.add(item.tag);
    else digests.add(item.digest);
  }
  return { kind: 'explicit', tags: [...tags], digests: [...digests] };
}

/** The selector that takes every tag. */
export function allTags(): TagFilter {
  return { kind: 'filter', include: [], exclude: [] };
}

/**
 * A repository reference: parsed and normalised, without tag or digest.
 * @returns the reference, or a string saying what is wrong.
 */
export function parseRepository(text: string): ImageReference | string {
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch (error) {
    // The caller names the text; keep only the broken rule.
    return error instanceof FerryError ? error.message.replace(/^invalid image reference "[^"]*": /, '') : String(error);
  }
  if (ref.tag !== undefined || ref.digest !== undefined) {
    return `"${text}" names an image (with a tag or digest), not a repository`;
  }
  return ref;
}
