import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { MediaType } from '../src/oci/media-types.ts';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { makeImage, makeIndex, raw, type TestImage } from './fixtures/layout-image.ts';
import { call, pushBlob, pushImage, pushManifest } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Issue 11: a manifest is never stored while one of its blobs is deleted,
 * never stored with a descriptor whose size disagrees with the stored blob,
 * and `ferry verify` blames a manifest that lies about a shared blob's size
 * on that manifest, not on the blob and every image sharing it.
 */

/** The image's manifest with its first layer's size replaced: what a hostile or broken client pushes. */
function lyingManifest(image: TestImage, size: number) {
  const json = JSON.parse(image.manifest.bytes.toString()) as { layers: { size: number }[] };
  json.layers[0]!.size = size;
  return raw(json, MediaType.ociManifest);
}

test('a manifest PUT racing a DELETE of its layer never leaves a manifest without its layer', async (t) => {
  const { url } = await startTestServer(t, { enableDelete: true });
  const outcomes = { manifestWon: 0, deleteWon: 0 };
  for (let i = 0; i < 60; i++) {
    const image = await makeImage({ seed: `race-${i}` });
    for (const b of image.blobs) await pushBlob(url, 'ns/race', b.descriptor.digest, b.bytes);
    const layer = image.blobs[1]!.descriptor.digest;
    const [put, del] = await Promise.all([pushManifest(url, 'ns/race', `t${i}`, image.manifest), call(url, 'DELETE', `/v2/ns/race/blobs/${layer}`)]);
    assert.ok(!(put.status === 201 && del.status === 202), `try ${i}: both the manifest PUT and the layer DELETE succeeded`);
    const stored = (await call(url, 'HEAD', `/v2/ns/race/manifests/t${i}`)).status === 200;
    const layerThere = (await call(url, 'HEAD', `/v2/ns/race/blobs/${layer}`)).status === 200;
    if (stored) {
      assert.ok(layerThere, `try ${i}: the manifest is served but its layer is gone`);
      assert.equal(del.status, 405, `try ${i}: the DELETE must have been refused as in use`);
      outcomes.manifestWon++;
    } else {
      assert.equal(put.code, 'MANIFEST_BLOB_UNKNOWN', `try ${i}: ${put.body.toString()}`);
      assert.equal(del.status, 202);
      outcomes.deleteWon++;
    }
  }
  assert.equal(outcomes.manifestWon + outcomes.deleteWon, 60);
});

test('a manifest whose descriptor size disagrees with the stored blob is refused', async (t) => {
  const { url } = await startTestServer(t);
  const image = await makeImage({ seed: 'size-lie', layerBytes: 64 * 1024 });
  for (const b of image.blobs) await pushBlob(url, 'ns/app', b.descriptor.digest, b.bytes);
  const lie = lyingManifest(image, 1);
  const refused = await pushManifest(url, 'ns/app', '1', lie);
  assert.equal(refused.status, 400);
  assert.equal(refused.code, 'MANIFEST_INVALID');
  assert.match(refused.body.toString(), /is 1 bytes, but the registry holds it with \d+/);
  assert.equal((await call(url, 'HEAD', `/v2/ns/app/blobs/${lie.digest}`)).status, 404, 'the refused manifest left no bytes');
  assert.equal((await call(url, 'GET', '/v2/ns/app/tags/list')).status, 404);

  // An index that lies about a child manifest's size, likewise.
  const multi = await makeIndex('size-lie-index', ['amd64', 'arm64']);
  for (const img of multi.images) await pushImage(url, 'ns/multi', img.manifest.digest, img);
  const index = JSON.parse(multi.index.bytes.toString()) as { manifests: { size: number }[] };
  index.manifests[1]!.size += 7;
  const badIndex = await pushManifest(url, 'ns/multi', 'v1', raw(index, MediaType.ociIndex));
  assert.equal(badIndex.code, 'MANIFEST_INVALID');
  assert.equal((await pushManifest(url, 'ns/multi', 'v1', multi.index)).status, 201, 'the honest index is taken');
});

test('ferry verify blames the manifest that lies about a shared blob, not the blob or its honest users', async (t) => {
  const dir = await tempDir('verify-size-lie', t);
  const store = await openLayoutStore(dir, { create: true });
  const healthy = await makeImage({ seed: 'healthy', shared: ['big'], layerBytes: 2 * 1024 * 1024 });
  const repo = layoutRepository(store, 'ns/healthy');
  for (const b of healthy.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
  await repo.manifestPut('1', healthy.manifest);
  // A second image using the same 2 MiB layer, whose manifest says it is 1 byte (written behind the server's back).
  const liar = await makeImage({ seed: 'liar', shared: ['big'], layerBytes: 2 * 1024 * 1024 });
  const liarRepo = layoutRepository(store, 'ns/liar');
  for (const b of liar.blobs) await liarRepo.blobPut(b.descriptor, Readable.from([b.bytes]));
  const lie = lyingManifest(liar, 1);
  await liarRepo.manifestPut('1', lie);

  const run = await runFerry(['verify', '--json', dir]);
  assert.equal(run.code, 1, explain(run));
  const record = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { problems: { digest: string; kind: string; role: string; images: string[] }[] };
  assert.deepEqual(record.problems.map((p) => [p.kind, p.digest, p.role, p.images]), [['size-mismatch', lie.digest, 'manifest', ['ns/liar:1']]], explain(run));

  const text = await runFerry(['verify', dir]);
  assert.match(text.stdout, new RegExp(`size-mismatch ${lie.digest} \\(manifest\\): manifest ${lie.digest} says layer ${healthy.blobs[1]!.descriptor.digest} is 1 bytes`));
  assert.doesNotMatch(text.stdout + text.stderr, /ns\/healthy/, 'the healthy image is not affected');
});
