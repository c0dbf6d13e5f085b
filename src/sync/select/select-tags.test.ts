import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import type { TagFilter, TagSelector } from '../config/sync-spec.ts';
import { translateGoRegex } from './go-regex.ts';
import { filterTags, needsTagList, selectTags } from './select-tags.ts';

const TAGS = ['latest', '1.24.0', '1.25.0', '1.25.1', '1.25.1-alpine', '1.26.0-rc.1', 'v1.26.0', 'stable', '1.25.1', 'mainline-perl'];

function filter(extra: Partial<TagFilter>): TagFilter {
  return { kind: 'filter', include: [], exclude: [], ...extra };
}

test('an empty filter takes every tag once, in listing order', async () => {
  assert.deepEqual(await selectTags(TAGS, filter({})), [...new Set(TAGS)]);
});

test('criteria combine: include any glob, exclude every glob, regex, semver', () => {
  const table: [Partial<TagFilter>, string[]][] = [
    [{ include: ['1.25*'] }, ['1.25.0', '1.25.1', '1.25.1-alpine']],
    [{ include: ['1.25*', 'stable'], exclude: ['*-alpine'] }, ['1.25.0', '1.25.1', 'stable']],
    [{ exclude: ['*-*', 'latest'] }, ['1.24.0', '1.25.0', '1.25.1', 'v1.26.0', 'stable']],
    [{ regex: { source: '^v?1\\.2[56]', flags: '' } }, ['1.25.0', '1.25.1', '1.25.1-alpine', '1.26.0-rc.1', 'v1.26.0']],
    // Unanchored like Go's MatchString.
    [{ regex: { source: 'perl', flags: '' } }, ['mainline-perl']],
    [{ semver: '>=1.25' }, ['1.25.0', '1.25.1', 'v1.26.0']],
    [{ semver: '>=1.25', exclude: ['v*'] }, ['1.25.0', '1.25.1']],
  ];
  for (const [extra, expected] of table) assert.deepEqual(filterTags(TAGS, filter(extra)), expected, JSON.stringify(extra));
});

test('Go regex flags and groups are translated', () => {
  const spec = translateGoRegex('(?i)^V(?P<major>\\d+)\\z');
  assert.deepEqual(spec, { source: '^V(?<major>\\d+)$', flags: 'i' });
  assert.deepEqual(filterTags(['v1', 'V2', 'v1.0'], filter({ regex: spec as { source: string; flags: string } })), ['v1', 'V2']);
  assert.match(translateGoRegex('(?U)a+') as string, /ungreedy/);
  assert.equal(typeof translateGoRegex('a(b'), 'string');
});

test('newest N by semver keeps the highest versions, in listing order', async () => {
  // Pre-releases are versions too, ranked below their release…
  assert.deepEqual(await selectTags(TAGS, filter({ newest: { count: 2, by: 'semver' } })), ['1.26.0-rc.1', 'v1.26.0']);
  // …and `semver: '*'` leaves them out.
  assert.deepEqual(await selectTags(TAGS, filter({ semver: '*', newest: { count: 2, by: 'semver' } })), ['1.25.1', 'v1.26.0']);
  // Criteria apply first, then newest.
  assert.deepEqual(await selectTags(TAGS, filter({ semver: '<1.25', newest: { count: 3, by: 'semver' } })), ['1.24.0']);
  assert.deepEqual(await selectTags(['latest', 'edge'], filter({ newest: { count: 3, by: 'semver' } })), []);
});

test('newest N by creation time asks only for surviving tags, bounded in parallel', async () => {
  const created: Record<string, string | undefined> = { a: '2024-01-01', b: '2024-03-01', c: undefined, d: '2024-02-01', skipped: '2030-01-01' };
  const asked: string[] = [];
  let running = 0;
  let peak = 0;
  const createdOf = async (tag: string): Promise<Date | undefined> => {
    asked.push(tag);
    running++;
    peak = Math.max(peak, running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    const c = created[tag];
    return c === undefined ? undefined : new Date(c);
  };
  const got = await selectTags(['a', 'b', 'c', 'd', 'skipped'], filter({ exclude: ['skipped'], newest: { count: 2, by: 'created' } }), { createdOf, concurrency: 2 });
  assert.deepEqual(got, ['b', 'd']);
  assert.deepEqual(asked.sort(), ['a', 'b', 'c', 'd']);
  assert.ok(peak <= 2, `peak ${peak}`);
  // Unknown times sort last.
  assert.deepEqual(await selectTags(['c', 'a'], filter({ newest: { count: 1, by: 'created' } }), { createdOf }), ['a']);
});

test('newest by created without createdOf is refused', async () => {
  await assert.rejects(selectTags(['a'], filter({ newest: { count: 1, by: 'created' } })), (e: unknown) => e instanceof FerryError && e.code === 'UNSUPPORTED');
});

test('an aborted signal stops createdOf calls', async () => {
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(
    selectTags(['a', 'b'], filter({ newest: { count: 1, by: 'created' } }), { createdOf: async () => undefined, signal: controller.signal }),
    (e: unknown) => e instanceof FerryError && e.code === 'ABORTED',
  );
});

test('explicit selectors need no listing and return their tags', async () => {
  const explicit: TagSelector = { kind: 'explicit', tags: ['1.0', '1.0', '2.0'], digests: [] };
  assert.equal(needsTagList(explicit), false);
  assert.equal(needsTagList(filter({})), true);
  assert.deepEqual(await selectTags([], explicit), ['1.0', '2.0']);
});
