import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareTagsByVersionDesc, compileVersionRange, parseTagVersion, versionMatcher, versionRangeProblem } from './semver-match.ts';

test('tags parse as versions the way skopeo (Masterminds) reads them', () => {
  const table: [string, string | undefined][] = [
    ['1.2.3', '1.2.3'],
    ['v1.2.3', '1.2.3'],
    ['1.2', '1.2.0'],
    ['v3', '3.0.0'],
    ['1.25-alpine', '1.25.0-alpine'],
    ['1.0.0-rc.1', '1.0.0-rc.1'],
    ['01.2.3', '1.2.3'],
    ['latest', undefined],
    ['1.2.3.4', undefined],
    ['stable-1.2', undefined],
    ['V1.2.3', undefined],
    ['', undefined],
  ];
  for (const [tag, expected] of table) assert.equal(parseTagVersion(tag)?.version, expected, tag);
});

test('ranges accept Masterminds syntax', () => {
  const table: [range: string, tag: string, expected: boolean][] = [
    ['>=3.14', '3.14', true],
    ['>=3.14', 'v3.15.1', true],
    ['>=3.14', '3.13.9', false],
    ['>=3.14', 'latest', false],
    ['>=1.2, <2', '1.9.9', true],
    ['>=1.2, <2', '2.0.0', false],
    ['>= 1.2 < 2', '1.5', true],
    ['~1.2', '1.2.9', true],
    ['~1.2', '1.3.0', false],
    ['~> 1.2', '1.2.5', true],
    ['^1.2', '1.9.0', true],
    ['^1.2', '2.0.0', false],
    ['1.2.x', '1.2.7', true],
    ['1.2 - 1.4', '1.4.9', true],
    ['1.2 - 1.4', '1.5.0', false],
    ['<1 || >=3', '0.9', true],
    ['<1 || >=3', '2.0', false],
    ['<1 || >=3', '3.1', true],
    ['=>1.0, =<1.1', '1.1.0', true],
    ['>=1.0, !=1.1', '1.1.5', false],
    ['>=1.0, !=1.1', '1.2.0', true],
    ['!=1.1.0', '1.1.0', false],
    ['!=1.1.0', '1.1.1', true],
    // Pre-releases only match a range that names one.
    ['>=1.0', '1.5.0-rc.1', false],
    ['>=1.0.0-0', '1.5.0-rc.1', true],
    ['>=1.25', '1.25-alpine', false],
    ['*', '1.0.0', true],
    ['*', 'latest', false],
  ];
  for (const [range, tag, expected] of table) assert.equal(versionMatcher(range)(tag), expected, `${tag} in ${range}`);
});

test('invalid ranges are reported, not thrown', () => {
  assert.equal(versionRangeProblem('>=1.2'), undefined);
  assert.match(versionRangeProblem('')!, /empty/);
  assert.match(versionRangeProblem('banana')!, /not a valid semver range/);
  assert.match(versionRangeProblem('>=1 || ')!, /empty alternative/);
  assert.match(versionRangeProblem('!=x.y.z.w')!, /does not name a version/);
  assert.equal(typeof compileVersionRange('>=1'), 'function');
  assert.throws(() => versionMatcher('banana'), RangeError);
});

test('tags sort by version, highest first, non-versions last', () => {
  const tags = ['1.2', 'latest', 'v1.10.0', '1.9.1', 'edge', '2.0.0-rc.1', '2.0.0'];
  assert.deepEqual([...tags].sort(compareTagsByVersionDesc), ['2.0.0', '2.0.0-rc.1', 'v1.10.0', '1.9.1', '1.2', 'edge', 'latest']);
});
