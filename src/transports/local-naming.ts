import { isValidTag } from '../ref/reference.ts';
import type { InvalidName } from '../repository/destination-naming.ts';

/**
 * What is wrong with `repository[:tag|@digest]` as an image name under a
 * local root (a layout, a directory), if anything: only its tag is checked,
 * the path being the naming rules' own.
 */
export function localNameProblem(name: string): InvalidName | undefined {
  if (name.includes('@')) return undefined;
  const colon = name.lastIndexOf(':');
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : undefined;
  if (tag === undefined || isValidTag(tag)) return undefined;
  return { subject: `tag "${tag}"`, problem: 'is not a valid tag', hint: 'tags are up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"' };
}
