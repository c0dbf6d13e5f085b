import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultStorageDir } from './default-storage.ts';
import { parseAddr } from './server.ts';
import { hasDotSegment, matchRoute } from './route.ts';
import { uploadLimits, DEFAULT_UPLOAD_LIMITS } from './uploads/upload-limits.ts';

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

test('dot segments, as URL parsing would resolve them, are recognised', () => {
  const dotted = ['/v2/a/manifests/1.0/../1.1', '/v2/a/manifests/1.0/%2e%2E/1.1', '/v2/a/manifests/x/.%2e/y', '/v2/./a/tags/list', '/v2/a/%2E/tags/list',
    '/v2/a/manifests/1.0\\..\\1.1', '/v2/a/manifests/1.0/.\t./1.1', 'http://host/v2/a/../b/tags/list', '/v2/a/manifests/..'];
  for (const path of dotted) {
    assert.ok(hasDotSegment(path), path);
    assert.notEqual(new URL(path, 'http://x').pathname, path.replace(/^http:\/\/host/, ''), `${path} is one URL parsing rewrites`);
  }
  for (const path of ['/v2/a/manifests/1.0', '/v2/a.b/manifests/v1.2.3', '/v2/a/manifests/...', '/v2/a/tags/list?last=..', '/v2/a/manifests/%2e%2e%2e', '/v2/_catalog']) {
    assert.ok(!hasDotSegment(path), path);
  }
});

test('upload limits: defaults, overrides, and nonsense refused', () => {
  assert.equal(uploadLimits().perClient, DEFAULT_UPLOAD_LIMITS.perClient);
  assert.equal(uploadLimits({ perClient: 3 }).perClient, 3);
  assert.equal(uploadLimits({ perClient: 3 }).total, DEFAULT_UPLOAD_LIMITS.total);
  assert.throws(() => uploadLimits({ idleMs: -1 }), /idleMs/);
  assert.throws(() => uploadLimits({ total: Number.NaN }), /total/);
});
