import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatScope, mergeScopes, mountScopes, parseScope, repositoryScope, scopesCover } from './scope.ts';

test('parseScope and formatScope', () => {
  assert.deepEqual(parseScope('repository:ns/app:pull,push'), { type: 'repository', name: 'ns/app', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('repository(plugin):vendor/p:pull'), { type: 'repository(plugin)', name: 'vendor/p', actions: ['pull'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  for (const bad of ['', 'repository', 'repository:ns/app', ':ns/app:pull', 'repository::pull', 'repository:ns/app:', 'repo sitory:a:pull', 'repository:a:pu ll']) {
    assert.equal(parseScope(bad), undefined, bad);
  }
  assert.equal(formatScope(repositoryScope('ns/app', ['push', 'pull', 'push'])), 'repository:ns/app:pull,push');
  assert.equal(formatScope({ type: 'repository', name: 'a', actions: ['pull', '*'] }), 'repository:a:*');
});

test('mergeScopes unions actions per resource and sorts', () => {
  const cases: [Parameters<typeof mergeScopes>[0], string[]][] = [
    [[], []],
    [['repository:a:pull', 'repository:a:push'], ['repository:a:pull,push']],
    [['repository:dst:pull,push', 'repository:src:pull'], ['repository:dst:pull,push', 'repository:src:pull']],
    [['repository:src:pull', 'repository:dst:push', repositoryScope('dst', ['pull'])], ['repository:dst:pull,push', 'repository:src:pull']],
    [['repository:a:push,pull', 'repository:a:pull,push'], ['repository:a:pull,push']],
    [['repository:a:pull', 'repository:a:*'], ['repository:a:*']],
    [['registry:catalog:*', 'repository:a:delete'], ['registry:catalog:*', 'repository:a:delete']],
    [['garbage', 'repository:a:pull', 'garbage', ''], ['repository:a:pull', 'garbage']],
  ];
  for (const [input, expected] of cases) assert.deepEqual(mergeScopes(input), expected, JSON.stringify(input));
});

test('mountScopes asks push on the target and pull on the source in one request', () => {
  assert.deepEqual(mountScopes('dst/app', 'src/app'), ['repository:dst/app:pull,push', 'repository:src/app:pull']);
  assert.deepEqual(mountScopes('same', 'same'), ['repository:same:pull,push']);
});

test('scopesCover', () => {
  assert.ok(scopesCover(['repository:a:pull,push'], ['repository:a:pull']));
  assert.ok(scopesCover(['repository:a:*'], ['repository:a:delete']));
  assert.ok(scopesCover(['repository:a:pull', 'repository:b:pull'], ['repository:b:pull', 'repository:a:pull']));
  assert.ok(!scopesCover(['repository:a:pull'], ['repository:a:pull,push']));
  assert.ok(!scopesCover(['repository:a:pull'], ['repository:b:pull']));
  assert.ok(!scopesCover(['repository:a:pull'], ['junk']));
  assert.ok(scopesCover([], []));
});
