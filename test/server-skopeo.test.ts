import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { requirePeer } from './helpers/peers.ts';
import { runSkopeo, skopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeServerCert } from './helpers/tls.ts';
import { tempDir } from './helpers/tmp.ts';
import { makeImage, makeIndex, sha256 } from './fixtures/layout-image.ts';
import { layoutWithImage, startTestServer } from './fixtures/server.ts';

const plain = { src: { tlsVerify: false }, dest: { tlsVerify: false } };

test('skopeo pushes and pulls a single image; the store on disk is an OCI layout', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startTestServer(t);
  const src = await tempDir('serve-src', t);
  const image = await makeImage({ seed: 'single', layers: 3, layerBytes: 50_000 });
  await layoutWithImage(src, 'x', '1', image);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${server.host}/ns/app:1.0`, [], plain);
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/app:1.0`, { tlsVerify: false }), image.manifest.digest);
  const { stdout } = await skopeo(['list-tags', '--tls-verify=false', `docker://${server.host}/ns/app`]);
  assert.deepEqual(JSON.parse(stdout.toString()).Tags, ['1.0']);

  const out = await tempDir('serve-out', t);
  await skopeoCopy(`docker://${server.host}/ns/app:1.0`, `dir:${out}`, [], plain);
  assert.equal(sha256(await readFile(join(out, 'manifest.json'))), image.manifest.digest);
  for (const b of image.blobs) assert.equal(sha256(await readFile(join(out, b.descriptor.digest.slice(7)))), b.descriptor.digest);

  // What the server wrote is read by skopeo straight from disk.
  assert.equal(await skopeoInspectDigest(`oci:${server.storage}:ns/app:1.0`), image.manifest.digest);
});

test('skopeo pushes and pulls a multi-arch index with identical digests', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startTestServer(t);
  const src = await tempDir('serve-src', t);
  const multi = await makeIndex('serve-multi', ['amd64', 'arm64', 's390x']);
  const store = await layoutWithImage(src, 'x', 'unused', ...multi.images);
  await layoutRepository(store, 'x').manifestPut('multi', multi.index);
  await skopeoCopy(`oci:${src}:x:multi`, `docker://${server.host}/ns/multi:v1`, ['--all'], plain);
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/multi:v1`, { tlsVerify: false }), multi.index.digest);
  const child = multi.images[1]!.manifest.digest;
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/multi@${child}`, { tlsVerify: false }), child);

  const out = await tempDir('serve-out', t);
  await skopeoCopy(`docker://${server.host}/ns/multi:v1`, `oci:${out}:back`, ['--all'], plain);
  assert.equal(await skopeoInspectDigest(`oci:${out}:back`), multi.index.digest);

  // A second repository of the same server needs no blob transfer: blobs are shared by the whole store.
  const before = server.events.length;
  await skopeoCopy(`docker://${server.host}/ns/multi:v1`, `docker://${server.host}/other/copy:v1`, ['--all'], plain);
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/other/copy:v1`, { tlsVerify: false }), multi.index.digest);
  const uploads = server.events.slice(before).filter((e) => e.type === 'request' && (e.method === 'PATCH' || (e.method === 'POST' && e.status === 202)));
  assert.deepEqual(uploads, [], 'no blob was uploaded again');
  const { stdout } = await runSkopeo(['list-tags', '--tls-verify=false', `docker://${server.host}/other/copy`]);
  assert.deepEqual(JSON.parse(stdout.toString()).Tags, ['v1']);
});

test('skopeo deletes a manifest', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startTestServer(t);
  // The server's store is created on its first write; this test writes first.
  const store = await openLayoutStore(server.storage, { create: true });
  const image = await makeImage({ seed: 'del' });
  const repo = layoutRepository(store, 'ns/del');
  for (const b of image.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
  await repo.manifestPut('1', image.manifest);
  await repo.manifestPut('2', image.manifest);
  await skopeo(['delete', '--tls-verify=false', `docker://${server.host}/ns/del:1`]);
  // Deleting a manifest (by tag, as skopeo resolves it to the digest) removes every tag of it in the repository.
  assert.deepEqual(await repo.tagList(), []);
  const inspect = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${server.host}/ns/del:2`]);
  assert.notEqual(inspect.code, 0);
});

test('htpasswd Basic auth protects every request', { skip: requirePeer('skopeo', 'htpasswd') }, async (t) => {
  const dir = await tempDir('serve-auth', t);
  const htpasswd = join(dir, 'htpasswd');
  const { stdout } = await promisify(execFile)('htpasswd', ['-Bbn', 'alice', 's3cret-pass']);
  await writeFile(htpasswd, stdout);
  const server = await startTestServer(t, { htpasswd });
  const ping = await fetch(`${server.url}/v2/`);
  assert.equal(ping.status, 401);
  assert.equal(ping.headers.get('www-authenticate'), 'Basic realm="ferry"');
  assert.equal((await ping.json() as { errors: { code: string }[] }).errors[0]!.code, 'UNAUTHORIZED');

  const src = await tempDir('serve-src', t);
  const image = await makeImage({ seed: 'auth' });
  await layoutWithImage(src, 'x', '1', image);
  const denied = await runSkopeo(['copy', '--dest-tls-verify=false', '--dest-creds=alice:wrong', `oci:${src}:x:1`, `docker://${server.host}/ns/auth:1`]);
  assert.notEqual(denied.code, 0);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${server.host}/ns/auth:1`, [], { dest: { tlsVerify: false, creds: 'alice:s3cret-pass' } });
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/auth:1`, { tlsVerify: false, creds: 'alice:s3cret-pass' }), image.manifest.digest);
  const logged = JSON.stringify(server.events);
  assert.ok(!logged.includes('s3cret-pass') && !logged.includes(Buffer.from('alice:s3cret-pass').toString('base64')), 'no secret in the log');
  assert.ok(server.events.some((e) => e.type === 'request' && e.user === 'alice'));
});

test('TLS with a test CA', { skip: requirePeer('skopeo', 'openssl') }, async (t) => {
  const ca = await makeCA(await tempDir('serve-ca', t));
  const pair = await makeServerCert(ca);
  const server = await startTestServer(t, { tlsCert: pair.cert, tlsKey: pair.key });
  assert.match(server.url, /^https:\/\//);
  const src = await tempDir('serve-src', t);
  const image = await makeImage({ seed: 'tls' });
  await layoutWithImage(src, 'x', '1', image);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${server.host}/ns/tls:1`, [], { dest: { certDir: ca.certDir } });
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/tls:1`, { certDir: ca.certDir }), image.manifest.digest);
  const untrusted = await runSkopeo(['inspect', '--raw', `docker://${server.host}/ns/tls:1`]);
  assert.notEqual(untrusted.code, 0, 'an unknown CA is refused');
});
