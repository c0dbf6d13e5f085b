import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultStorageDir } from './default-storage.ts';
import { parseAddr } from './server.ts';
import { matchRoute } from './route.ts';

test('default storage follows XDG_DATA_HOME', () => {
  assert.equal(defaultStorageDir({}, '/home/u'), '/home/u/.local/share/ferry/registry');
  assert.equal(defaultStorageDir({ XDG_DATA_HOME: '/data' }, '/home/u'), '/data/ferry/registry');
  assert.equal(defaultStorageDir({ XDG_DATA_HOME: 'relative' }, '/home/u'), '/home/u/.local/share/ferry/registry');
});

test('--addr forms', () => {
  assert.deepEqual(parseAddr('127.0.0.1:5000'), { host: '127.0.0.1', port: 5000 });
  assert.deepEqual(parseAddr('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseAddr(':5000'), { host: '0.0.0.0', port: 5000 });
  assert.deepEqual(parseAddr('localhost:80'), { host: 'localhost', port: 80 });
  for (const bad of ['5000', 'host:', 'host:99999', '::1:5000', 'a:b']) assert.throws(() => parseAddr(bad), /invalid --addr/);
});

test('routes: the name is everything before the last API keyword', () => {
  const table: [string, unknown][] = [
    ['/v2/', { kind: 'ping' }],
    ['/v2', { kind: 'ping' }],
    ['/v2/_catalog', { kind: 'catalog' }],
    ['/v2/a/b/c/manifests/1.0', { kind: 'manifest', name: 'a/b/c', reference: '1.0' }],
    ['/v2/a/blobs/uploads/', { kind: 'upload', name: 'a', id: undefined }],
    ['/v2/a/blobs/uploads', { kind: 'upload', name: 'a', id: undefined }],
    ['/v2/a/blobs/uploads/123', { kind: 'upload', name: 'a', id: '123' }],
    ['/v2/a/blobs/sha256:x', { kind: 'blob', name: 'a', digest: 'sha256:x' }],
    ['/v2/ns/tags/list', { kind: 'tags', name: 'ns' }],
    ['/v2/ns/referrers/sha256:x', { kind: 'referrers', name: 'ns', digest: 'sha256:x' }],
    ['/v2/manifests/x', { kind: 'unknown' }],
    ['/v3/a/manifests/x', { kind: 'unknown' }],
    [`/v2/${'a/'.repeat(2000)}manifests/x`, { kind: 'unknown' }],
  ];
  for (const [path, want] of table) assert.deepEqual(matchRoute(path), want, path);
});
