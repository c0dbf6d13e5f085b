import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDestinationConflicts } from './conflicts.ts';
import { layoutImageOf, repositoryKey } from './source-image.ts';

test('layout ref names map to repository and tag', () => {
  const layout = { kind: 'oci-layout', path: '/data/Busybox-Layout/' } as const;
  assert.deepEqual(layoutImageOf(layout, 'ns/app:1.0'), { repository: 'ns/app', tag: '1.0', refName: 'ns/app:1.0' });
  assert.deepEqual(layoutImageOf(layout, 'app:1.0'), { repository: 'app', tag: '1.0', refName: 'app:1.0' });
  assert.deepEqual(layoutImageOf(layout, 'ns/app'), { repository: 'ns/app', tag: 'latest', refName: 'ns/app' });
  // A bare tag belongs to the layout directory (lower-cased, as repositories are).
  assert.deepEqual(layoutImageOf(layout, '1.36'), { repository: 'busybox-layout', tag: '1.36', refName: '1.36' });
  const filtered = { kind: 'oci-layout', path: '/data/x', repository: 'busybox' } as const;
  assert.deepEqual(layoutImageOf(filtered, '1.36'), { repository: 'busybox', tag: '1.36', refName: '1.36' });
  assert.equal(layoutImageOf(filtered, 'ns/app:1.0'), undefined);
  assert.deepEqual(layoutImageOf(filtered, 'busybox:1.0')?.tag, '1.0');
});

test('repositoryKey includes the registry when there is one', () => {
  assert.equal(repositoryKey({ registry: 'quay.io', repository: 'a/b' }), 'quay.io/a/b');
  assert.equal(repositoryKey({ repository: 'a/b' }), 'a/b');
});

test('two sources writing one destination are a conflict; the same source twice is not', () => {
  const o = (line: number) => ({ file: 'm.txt', line });
  const conflicts = findDestinationConflicts([
    { source: 'quay.io/a:1', destination: 'r.io/x:1', origin: o(1) },
    { source: 'quay.io/a:1', destination: 'r.io/x:1', origin: o(2) },
    { source: 'quay.io/b:1', destination: 'r.io/x:1', origin: o(3) },
    { source: 'quay.io/b:1', destination: 'r.io/y:1', origin: o(4) },
  ]);
  assert.equal(conflicts.length, 1);
  assert.equal(conflicts[0]!.destination, 'r.io/x:1');
  assert.equal(conflicts[0]!.first.origin.line, 1);
  assert.equal(conflicts[0]!.second.origin.line, 3);
});
