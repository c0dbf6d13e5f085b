import picomatch from 'picomatch';
import type { RepositoryFilter } from '../config/sync-spec.ts';

/**
 * Glob matching with Harbor's (doublestar) semantics, for repository paths
 * and tags: `*` is any run of characters within one `/`-separated segment,
 * `**` as a whole segment spans any number of segments (`library/**`
 * matches `library/a` and `library/a/b`; `a**` is just `a*`), `?` is one
 * character other than `/`, `[abc]` a character class, `{x,y}` either
 * alternative. No negation (`!`) or extglobs: exclusion lists do that job.
 */
export type Matcher = (value: string) => boolean;

const OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true, noextglob: true, windows: false };
// Rules reuse the same few patterns for thousands of tags; compile each once.
const cache = new Map<string, Matcher>();
const CACHE_LIMIT = 4096;

/** A matcher for one pattern (compiled once per process). */
export function compileGlob(pattern: string): Matcher {
  let matcher = cache.get(pattern);
  if (matcher === undefined) {
    const test = picomatch(pattern, OPTIONS);
    matcher = (value: string) => test(value);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(pattern, matcher);
  }
  return matcher;
}

/** True when `value` matches at least one of `patterns`. */
export function matchesAny(patterns: readonly string[], value: string): boolean {
  return patterns.some((p) => compileGlob(p)(value));
}

/** True when the pattern has glob syntax; a pattern without is a literal name. */
export function isGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/** Why a pattern is unusable, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern === '') return 'pattern is empty';
  if (pattern.startsWith('/') || pattern.endsWith('/')) return 'pattern must not start or end with "/"';
  try {
    picomatch.makeRe(pattern, OPTIONS);
  } catch (error) {
    return `not a valid glob: ${error instanceof Error ? error.message : String(error)}`;
  }
  return undefined;
}

/** True when `repository` passes the filter: matches an include (or there are none) and no exclude. */
export function repositoryMatches(filter: RepositoryFilter, repository: string): boolean {
  if (filter.include.length > 0 && !matchesAny(filter.include, repository)) return false;
  return !matchesAny(filter.exclude, repository);
}

/** The repositories of a `_catalog` listing that pass the filter, in listing order. */
export function filterRepositories(repositories: readonly string[], filter: RepositoryFilter): string[] {
  return repositories.filter((r) => repositoryMatches(filter, r));
}
