import Range from 'semver/classes/range.js';
import validRange from 'semver/ranges/valid.js';
import { compareTagsByVersionDesc, parseTagVersion } from '../../ref/tag-version.ts';

export { compareTagsByVersionDesc, parseTagVersion };

/**
 * Semver matching for tags with the semantics of skopeo's
 * `images-by-semver` (Masterminds/semver v3), implemented on the `semver`
 * package:
 * - a tag is a version when it reads `[v]MAJOR[.MINOR[.PATCH]][-PRERELEASE]`
 *   (`1.2` is 1.2.0, `v3` is 3.0.0, `1.25-alpine` is 1.25.0-alpine);
 * - ranges accept Masterminds' syntax: comparators separated by `,` or
 *   spaces (AND), `||` (OR), `~`, `~>`, `^`, `x`/`*` wildcards, hyphen
 *   ranges, `=>`/`=<`, and `!=` (which excludes a version or x-range);
 * - a pre-release tag only matches a range that itself names a pre-release.
 */
export type VersionMatcher = (tag: string) => boolean;

interface Alternative {
  range: Range;
  excluded: Range[];
}

/**
 * Compiles a range.
 * @returns a matcher, or a string saying why the range is invalid.
 */
export function compileVersionRange(text: string): VersionMatcher | string {
  if (text.trim() === '') return 'the range is empty';
  // A range that names a pre-release lets pre-releases match anywhere in it (Masterminds), not only on the same x.y.z (node-semver's default).
  const includePrerelease = /\d-[0-9A-Za-z]/.test(text);
  const options = { includePrerelease };
  const alternatives: Alternative[] = [];
  for (const part of text.split('||')) {
    const excluded: Range[] = [];
    let rest = part
      .replaceAll(',', ' ')
      .replace(/=>/g, '>=')
      .replace(/=</g, '<=')
      .replace(/~>/g, '~');
    let badExclusion: string | undefined;
    rest = rest.replace(/!=\s*(\S+)/g, (_all, version: string) => {
      if (validRange(version, options) === null) badExclusion ??= `"!=${version}" does not name a version`;
      else excluded.push(new Range(version, options));
      return ' ';
    });
    if (badExclusion !== undefined) return badExclusion;
    const trimmed = rest.trim();
    if (trimmed === '' && excluded.length === 0) return `empty alternative in "${text}"`;
    if (validRange(trimmed === '' ? '*' : trimmed, options) === null) return `"${part.trim()}" is not a valid semver range`;
    alternatives.push({ range: new Range(trimmed === '' ? '*' : trimmed, options), excluded });
  }
  return (tag: string) => {
    const version = parseTagVersion(tag);
    if (version === undefined) return false;
    return alternatives.some(
      (alt) => alt.range.test(version) && !alt.excluded.some((ex) => ex.test(version)),
    );
  };
}

/** Why a range is invalid, or undefined when it compiles. */
export function versionRangeProblem(text: string): string | undefined {
  const result = compileVersionRange(text);
  return typeof result === 'string' ? result : undefined;
}

const cache = new Map<string, VersionMatcher>();

/**
 * The matcher for a range already validated by {@link versionRangeProblem}.
 * @throws RangeError for an invalid range (a bug: parsers validate first).
 */
export function versionMatcher(text: string): VersionMatcher {
  let matcher = cache.get(text);
  if (matcher === undefined) {
    const result = compileVersionRange(text);
    if (typeof result === 'string') throw new RangeError(`invalid semver range "${text}": ${result}`);
    matcher = result;
    if (cache.size > 1024) cache.clear();
    cache.set(text, matcher);
  }
  return matcher;
}
