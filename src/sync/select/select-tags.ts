import { FerryError } from '../../errors.ts';
import type { TagFilter, TagSelector } from '../config/sync-spec.ts';
import { matchesAny } from './glob.ts';
import { regexOf } from './go-regex.ts';
import { compareTagsByVersionDesc, parseTagVersion, versionMatcher } from './semver-match.ts';
import { mapLimited } from '../../util/pool.ts';

export interface SelectTagsOptions {
  /**
   * The creation time of the image a tag points to (its config's `created`),
   * needed only for `newest: {by: created}`; called once per tag that passed
   * every other criterion, at most `concurrency` at a time.
   */
  createdOf?: ((tag: string) => Promise<Date | undefined>) | undefined;
  /** Parallel `createdOf` calls; default {@link DEFAULT_CREATED_CONCURRENCY}. */
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Enough to hide a registry's latency without hammering it (each call is a manifest + config GET). */
export const DEFAULT_CREATED_CONCURRENCY = 8;

/** True when the engine must list the repository's tags to apply the selector. */
export function needsTagList(selector: TagSelector): boolean {
  return selector.kind === 'filter';
}

/**
 * The tags of a repository that a selector takes, in the order of `tags`
 * (duplicates removed). For an `explicit` selector the listing is not needed
 * and its tags are returned as written (its digests are in `selector.digests`).
 *
 * @throws FerryError `UNSUPPORTED` when `newest.by` is `created` and no `createdOf` is given.
 */
export async function selectTags(tags: readonly string[], selector: TagSelector, options: SelectTagsOptions = {}): Promise<string[]> {
  if (selector.kind === 'explicit') return [...new Set(selector.tags)];
  const kept = filterTags(tags, selector);
  const newest = selector.newest;
  if (newest === undefined) return kept;
  let ranked: string[];
  if (newest.by === 'semver') {
    ranked = kept.filter((t) => parseTagVersion(t) !== undefined).sort(compareTagsByVersionDesc);
  } else {
    const createdOf = options.createdOf;
    if (createdOf === undefined) {
      throw new FerryError('UNSUPPORTED', 'selecting the newest tags by creation time needs the images\' creation times (createdOf)');
    }
    const times = await mapLimited(kept, options.concurrency ?? DEFAULT_CREATED_CONCURRENCY, createdOf, options.signal);
    const order = kept.map((tag, i) => ({ tag, time: times[i]?.getTime() }));
    order.sort((a, b) => {
      const ta = a.time ?? Number.NEGATIVE_INFINITY;
      const tb = b.time ?? Number.NEGATIVE_INFINITY;
      if (ta !== tb) return tb - ta;
      return compareTagsByVersionDesc(a.tag, b.tag);
    });
    ranked = order.map((o) => o.tag);
  }
  const chosen = new Set(ranked.slice(0, newest.count));
  return kept.filter((t) => chosen.has(t));
}

/**
 * The tags passing every criterion of a filter except `newest`, in order,
 * without duplicates. Synchronous: no image metadata is needed.
 */
export function filterTags(tags: readonly string[], filter: TagFilter): string[] {
  const re = filter.regex === undefined ? undefined : regexOf(filter.regex);
  const inRange = filter.semver === undefined ? undefined : versionMatcher(filter.semver);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const tag of tags) {
    if (seen.has(tag)) continue;
    seen.add(tag);
    if (filter.include.length > 0 && !matchesAny(filter.include, tag)) continue;
    if (matchesAny(filter.exclude, tag)) continue;
    if (re !== undefined && !re.test(tag)) continue;
    if (inRange !== undefined && !inRange(tag)) continue;
    out.push(tag);
  }
  return out;
}

