import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_MANIFEST_BYTES } from '../src/oci/manifest.ts';
import { MediaType } from '../src/oci/media-types.ts';
import { ANNOTATION_REPOSITORY } from '../src/transports/layout/layout-names.ts';
import { descriptorOf, makeImage, makeIndex, sha256 } from './fixtures/layout-image.ts';
import { call, pushBlob, pushImage, pushManifest } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';

test('manifest PUT is refused when malformed, oversized or missing its blobs', async (t) => {
  const { url } = await startTestServer(t);
  const image = await makeImage({ seed: 'refuse' });
  const missing = await pushManifest(url, 'ns/app', '1', image.manifest);
  assert.equal(missing.status, 400);
  assert.equal(missing.code, 'MANIFEST_BLOB_UNKNOWN');
  for (const b of image.blobs) await pushBlob(url, 'ns/app', b.descriptor.digest, b.bytes);

  const multi = await makeIndex('refuse-multi');
  const noChildren = await pushManifest(url, 'ns/app', 'multi', multi.index);
  assert.equal(noChildren.code, 'MANIFEST_BLOB_UNKNOWN');

  const garbage = await call(url, 'PUT', '/v2/ns/app/manifests/1', { body: '{not json', headers: { 'Content-Type': MediaType.ociManifest } });
  assert.equal(garbage.status, 400);
  assert.equal(garbage.code, 'MANIFEST_INVALID');
  const schema1 = await call(url, 'PUT', '/v2/ns/app/manifests/1', { body: '{"schemaVersion":1}', headers: { 'Content-Type': MediaType.ociManifest } });
  assert.equal(schema1.code, 'MANIFEST_INVALID');
  const huge = Buffer.alloc(MAX_MANIFEST_BYTES + 1, 0x20);
  const tooBig = await call(url, 'PUT', '/v2/ns/app/manifests/1', { body: huge, headers: { 'Content-Type': MediaType.ociManifest } });
  assert.equal(tooBig.status, 413);
  const wrongType = await call(url, 'PUT', '/v2/ns/app/manifests/1', { body: image.manifest.bytes, headers: { 'Content-Type': MediaType.dockerManifest } });
  assert.equal(wrongType.code, 'MANIFEST_INVALID');
  const wrongDigest = await pushManifest(url, 'ns/app', sha256('other'), image.manifest);
  assert.equal(wrongDigest.code, 'DIGEST_INVALID');
  assert.equal((await call(url, 'GET', '/v2/ns/app/tags/list')).status, 404, 'nothing was stored');

  const ok = await pushManifest(url, 'ns/app', '1', image.manifest);
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('docker-content-digest'), image.manifest.digest);
  assert.equal(ok.headers.get('location'), `/v2/ns/app/manifests/${image.manifest.digest}`);
  const get = await call(url, 'GET', '/v2/ns/app/manifests/1');
  assert.deepEqual(get.body, image.manifest.bytes);
  assert.equal(get.headers.get('content-type'), MediaType.ociManifest);
  assert.equal(get.headers.get('docker-content-digest'), image.manifest.digest);
  const head = await call(url, 'HEAD', `/v2/ns/app/manifests/${image.manifest.digest}`);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(image.manifest.bytes.length));
  assert.equal(head.body.length, 0);
  assert.equal((await call(url, 'GET', '/v2/ns/app/manifests/2')).code, 'MANIFEST_UNKNOWN');
  // Manifests by digest are scoped to the repositories that hold them.
  assert.equal((await call(url, 'GET', `/v2/ns/elsewhere/manifests/${image.manifest.digest}`)).status, 404);
});

test('multi-arch push by digest then tag; children served by digest; tags, catalog and pagination', async (t) => {
  const server = await startTestServer(t);
  const { url } = server;
  const multi = await makeIndex('pages', ['amd64', 'arm64']);
  for (const img of multi.images) await pushImage(url, 'ns/multi', img.manifest.digest, img, 100);
  assert.deepEqual(JSON.parse((await call(url, 'GET', '/v2/ns/multi/tags/list')).body.toString()), { name: 'ns/multi', tags: [] }, 'a repository of untagged manifests exists');
  assert.deepEqual(JSON.parse((await call(url, 'GET', '/v2/_catalog')).body.toString()).repositories, ['ns/multi']);
  for (const tag of ['v3', 'v1', 'v2', 'latest', 'v10']) assert.equal((await pushManifest(url, 'ns/multi', tag, multi.index)).status, 201);
  const index = JSON.parse(await readFile(join(server.storage, 'index.json'), 'utf8')) as { manifests: { annotations?: Record<string, string> }[] };
  assert.equal(index.manifests.filter((e) => e.annotations?.[ANNOTATION_REPOSITORY] !== undefined).length, 0, 'the tagged index absorbed its children');
  assert.equal(index.manifests.length, 5);
  for (const img of multi.images) {
    const r = await call(url, 'GET', `/v2/ns/multi/manifests/${img.manifest.digest}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, img.manifest.bytes);
  }

  const all = JSON.parse((await call(url, 'GET', '/v2/ns/multi/tags/list')).body.toString()) as { tags: string[] };
  assert.deepEqual(all.tags, ['latest', 'v1', 'v10', 'v2', 'v3']);
  const p1 = await call(url, 'GET', '/v2/ns/multi/tags/list?n=2');
  assert.deepEqual(JSON.parse(p1.body.toString()).tags, ['latest', 'v1']);
  assert.equal(p1.headers.get('link'), '</v2/ns/multi/tags/list?n=2&last=v1>; rel="next"');
  const p2 = await call(url, 'GET', '/v2/ns/multi/tags/list?n=2&last=v1');
  assert.deepEqual(JSON.parse(p2.body.toString()).tags, ['v10', 'v2']);
  const p3 = await call(url, 'GET', '/v2/ns/multi/tags/list?n=2&last=v2');
  assert.deepEqual(JSON.parse(p3.body.toString()).tags, ['v3']);
  assert.equal(p3.headers.get('link'), null);
  const zero = await call(url, 'GET', '/v2/ns/multi/tags/list?n=0');
  assert.deepEqual(JSON.parse(zero.body.toString()).tags, []);
  assert.equal(zero.headers.get('link'), null);

  const other = await makeImage({ seed: 'catalog' });
  await pushImage(url, 'a/first', '1', other, 'single');
  await pushImage(url, 'z/last', '1', other);
  const catalog = await call(url, 'GET', '/v2/_catalog?n=2');
  assert.deepEqual(JSON.parse(catalog.body.toString()).repositories, ['a/first', 'ns/multi']);
  assert.equal(catalog.headers.get('link'), '</v2/_catalog?n=2&last=ns%2Fmulti>; rel="next"');
});

test('referrers API with artifactType filter and OCI-Subject', async (t) => {
  const { url } = await startTestServer(t);
  const image = await makeImage({ seed: 'subject' });
  await pushImage(url, 'ns/app', '1', image);
  const sbom = await makeImage({ seed: 'sbom', subject: descriptorOf(image.manifest), artifactType: 'application/vnd.example.sbom' });
  const sig = await makeImage({ seed: 'sig', subject: descriptorOf(image.manifest) });
  for (const ref of [sbom, sig]) {
    for (const b of ref.blobs) await pushBlob(url, 'ns/app', b.descriptor.digest, b.bytes);
    const r = await pushManifest(url, 'ns/app', ref.manifest.digest, ref.manifest);
    assert.equal(r.status, 201);
    assert.equal(r.headers.get('oci-subject'), image.manifest.digest);
  }
  const list = await call(url, 'GET', `/v2/ns/app/referrers/${image.manifest.digest}`);
  assert.equal(list.status, 200);
  assert.equal(list.headers.get('content-type'), MediaType.ociIndex);
  const body = JSON.parse(list.body.toString()) as { manifests: { digest: string; artifactType?: string }[] };
  assert.deepEqual(body.manifests.map((m) => [m.digest, m.artifactType]).sort(), [
    [sbom.manifest.digest, 'application/vnd.example.sbom'],
    [sig.manifest.digest, MediaType.ociConfig],
  ].sort());
  const filtered = await call(url, 'GET', `/v2/ns/app/referrers/${image.manifest.digest}?artifactType=application/vnd.example.sbom`);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(JSON.parse(filtered.body.toString()).manifests.map((m: { digest: string }) => m.digest), [sbom.manifest.digest]);
  const none = await call(url, 'GET', `/v2/ns/app/referrers/${sha256('nothing')}`);
  assert.equal(none.status, 200);
  assert.deepEqual(JSON.parse(none.body.toString()).manifests, []);
  // Referrers are per repository.
  assert.deepEqual(JSON.parse((await call(url, 'GET', `/v2/ns/other/referrers/${image.manifest.digest}`)).body.toString()).manifests, []);
});

test('deletes: tags, digests and blobs (blob DELETE only with enableDelete)', async (t) => {
  const closed = await startTestServer(t);
  const kept = await makeImage({ seed: 'delete-off' });
  await pushBlob(closed.url, 'ns/app', kept.blobs[0]!.descriptor.digest, kept.blobs[0]!.bytes);
  const refused = await call(closed.url, 'DELETE', `/v2/ns/app/blobs/${kept.blobs[0]!.descriptor.digest}`);
  assert.equal(refused.status, 405, 'blob DELETE is off by default');
  assert.equal(refused.code, 'UNSUPPORTED');
  assert.match(refused.body.toString(), /--enable-delete/);
  assert.equal((await call(closed.url, 'HEAD', `/v2/ns/app/blobs/${kept.blobs[0]!.descriptor.digest}`)).status, 200);

  const { url } = await startTestServer(t, { enableDelete: true });
  const image = await makeImage({ seed: 'delete' });
  await pushImage(url, 'ns/app', '1', image);
  await pushManifest(url, 'ns/app', '2', image.manifest);
  assert.equal((await call(url, 'DELETE', '/v2/ns/app/manifests/1')).status, 202);
  assert.deepEqual(JSON.parse((await call(url, 'GET', '/v2/ns/app/tags/list')).body.toString()).tags, ['2']);
  assert.equal((await call(url, 'DELETE', '/v2/ns/app/manifests/1')).code, 'MANIFEST_UNKNOWN');
  const layer = image.blobs[1]!.descriptor.digest;
  assert.equal((await call(url, 'DELETE', `/v2/ns/app/blobs/${layer}`)).status, 405, 'a blob in use is kept');
  assert.equal((await call(url, 'DELETE', `/v2/ns/app/manifests/${image.manifest.digest}`)).status, 202);
  assert.equal((await call(url, 'GET', '/v2/ns/app/manifests/2')).status, 404);
  assert.equal((await call(url, 'DELETE', `/v2/ns/app/blobs/${layer}`)).status, 202);
  assert.equal((await call(url, 'HEAD', `/v2/ns/app/blobs/${layer}`)).status, 404);
});

test('read-only mode refuses writes and serves reads', async (t) => {
  const writable = await startTestServer(t);
  const image = await makeImage({ seed: 'ro' });
  await pushImage(writable.url, 'ns/app', '1', image);
  await writable.close();
  const server = await startTestServer(t, { storage: writable.storage, readOnly: true });
  assert.deepEqual((await call(server.url, 'GET', '/v2/ns/app/manifests/1')).body, image.manifest.bytes);
  for (const [method, path] of [['PUT', '/v2/ns/app/manifests/2'], ['POST', '/v2/ns/app/blobs/uploads/'], ['DELETE', '/v2/ns/app/manifests/1'], ['PATCH', '/v2/ns/app/blobs/uploads/x']] as const) {
    const r = await call(server.url, method, path, method === 'PUT' ? { body: image.manifest.bytes } : {});
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.code, 'UNSUPPORTED');
  }
});

test('graceful shutdown finishes the request in flight', async (t) => {
  const server = await startTestServer(t);
  const big = Buffer.alloc(8 * 1024 * 1024, 3);
  const digest = sha256(big);
  await pushBlob(server.url, 'ns/app', digest, big);
  const res = await fetch(`${server.url}/v2/ns/app/blobs/${digest}`);
  const reader = res.body!.getReader();
  const first = await reader.read();
  let received = first.value?.byteLength ?? 0;
  const closing = server.close();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
  }
  await closing;
  assert.equal(received, big.length);
  await assert.rejects(fetch(`${server.url}/v2/`));
  assert.ok(server.events.some((e) => e.type === 'shutdown'));
});

test("the conformance suite's last three requests: GET/HEAD of a tag that breaks the grammar is 404", async (t) => {
  const { url } = await startTestServer(t);
  // distribution-spec conformance v1.1.1 asks for this reference and expects 404 (ferry answered 400).
  const invalid = '.INVALID_MANIFEST_NAME';
  // "Manifest Upload: GET nonexistent manifest should return 404", before anything is pushed.
  const beforePush = await call(url, 'GET', `/v2/ns/app/manifests/${invalid}`);
  assert.equal(beforePush.status, 404);
  assert.equal(beforePush.code, 'NAME_UNKNOWN');
  await pushImage(url, 'ns/app', '1', await makeImage({ seed: 'conformance' }));
  // "Pull manifests: HEAD / GET request to nonexistent manifest should return 404".
  const head = await call(url, 'HEAD', `/v2/ns/app/manifests/${invalid}`);
  assert.equal(head.status, 404);
  assert.equal(head.body.length, 0);
  const get = await call(url, 'GET', `/v2/ns/app/manifests/${invalid}`);
  assert.equal(get.status, 404);
  assert.equal(get.code, 'MANIFEST_UNKNOWN');
  // Still 400: a malformed digest, and a PUT to a tag that breaks the grammar.
  assert.equal((await call(url, 'GET', '/v2/ns/app/manifests/sha256:totallywrong')).code, 'DIGEST_INVALID');
  const image = await makeImage({ seed: 'conformance' });
  const put = await pushManifest(url, 'ns/app', invalid, image.manifest);
  assert.equal(put.status, 400);
  assert.equal(put.code, 'MANIFEST_INVALID');
  assert.equal((await call(url, 'DELETE', `/v2/ns/app/manifests/${invalid}`)).status, 404);
});
