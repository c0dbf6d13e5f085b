import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, filterRepositories, globProblem, isGlob, repositoryMatches } from './glob.ts';

test('globs follow Harbor semantics: * stays in a segment, ** spans segments', () => {
  const table: [pattern: string, value: string, expected: boolean][] = [
    ['library/*', 'library/hello-world', true],
    ['library/*', 'library/my/hello-world', false],
    ['library/**', 'library/hello-world', true],
    ['library/**', 'library/my/hello-world', true],
    ['**', 'a/b/c', true],
    ['*', 'a/b', false],
    ['*', 'nginx', true],
    ['**/nginx', 'nginx', true],
    ['**/nginx', 'a/b/nginx', true],
    ['team/**/api', 'team/x/y/api', true],
    ['team/**/api', 'team/api-server', false],
    // "a**" is not a globstar: it is a*, within one segment.
    ['lib**', 'library/x', false],
    ['lib**', 'library', true],
    ['{library,goharbor}/**', 'goharbor/harbor-core', true],
    ['{library,goharbor}/**', 'other/harbor-core', false],
    ['1.?', '1.2', true],
    ['1.?', '1.22', false],
    ['v[0-9]*', 'v1.2', true],
    ['v[0-9]*', 'vx', false],
    ['1.*', '1.2.3', true],
    ['*-rc*', '1.0-rc1', true],
    ['nginx', 'nginx', true],
    ['nginx', 'nginx2', false],
    // No negation: a leading "!" is literal (exclusion lists do that job).
    ['!nginx', 'redis', false],
  ];
  for (const [pattern, value, expected] of table) {
    assert.equal(compileGlob(pattern)(value), expected, `${pattern} vs ${value}`);
  }
});

test('isGlob tells patterns from literal names', () => {
  assert.equal(isGlob('library/nginx'), false);
  assert.equal(isGlob('library/*'), true);
  assert.equal(isGlob('a/{b,c}'), true);
  assert.equal(isGlob('v1.?'), true);
});

test('globProblem rejects empty and slash-bounded patterns', () => {
  assert.equal(globProblem('team/**'), undefined);
  assert.match(globProblem('')!, /empty/);
  assert.match(globProblem('/team/*')!, /start or end/);
  assert.match(globProblem('team/')!, /start or end/);
});

test('repository filters: include any, exclude none; empty include takes all', () => {
  const filter = { include: ['team/**', 'base/*'], exclude: ['team/**/legacy-*', 'base/old'] };
  const repos = ['team/api', 'team/x/legacy-db', 'team/x/db', 'base/old', 'base/new', 'other/app', 'base/a/b'];
  assert.deepEqual(filterRepositories(repos, filter), ['team/api', 'team/x/db', 'base/new']);
  assert.equal(repositoryMatches({ include: [], exclude: ['other/*'] }, 'team/api'), true);
  assert.equal(repositoryMatches({ include: [], exclude: ['other/*'] }, 'other/app'), false);
});
