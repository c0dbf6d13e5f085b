import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeImage, makeIndex, sha256, type TestImage } from './fixtures/layout-image.ts';
import { call, pushImage, pushManifest } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { layoutWithImage } from './fixtures/server.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';

const CLIENTS = 20;
const PUSHES = 10;
const REPOS = 5;

test(`${CLIENTS} clients × ${PUSHES} pushes of images sharing blobs lose no tag and corrupt no blob`, async (t) => {
  const server = await startTestServer(t);
  const { url } = server;
  const images = new Map<string, { repo: string; tag: string; image: TestImage }>();
  for (let c = 0; c < CLIENTS; c++) {
    for (let i = 0; i < PUSHES; i++) {
      const image = await makeImage({ seed: `c${c}-i${i}`, shared: ['base', `mid${i % 3}`], layerBytes: 2000 });
      images.set(`${c}/${i}`, { repo: `stress/r${(c + i) % REPOS}`, tag: `c${c}-i${i}`, image });
    }
  }
  // Every client also moves one shared tag; the survivor must be one of the pushed images.
  const pulls: Promise<unknown>[] = [];
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = 0; i < PUSHES; i++) {
      const { repo, tag, image } = images.get(`${c}/${i}`)!;
      await pushImage(url, repo, tag, image, c % 3 === 0 ? 700 : c % 3 === 1 ? 'single' : undefined);
      if (i === PUSHES - 1) assert.equal((await pushManifest(url, 'stress/shared', 'moving', image.manifest)).status, 201);
      // Pulls race the pushes: what was pushed is immediately readable.
      pulls.push(call(url, 'GET', `/v2/${repo}/manifests/${tag}`).then((r) => assert.equal(r.status, 200)));
    }
  }));
  await Promise.all(pulls);

  for (let r = 0; r < REPOS; r++) {
    const expected = [...images.values()].filter((x) => x.repo === `stress/r${r}`).map((x) => x.tag).sort();
    const listed = JSON.parse((await call(url, 'GET', `/v2/stress/r${r}/tags/list`)).body.toString()) as { tags: string[] };
    assert.deepEqual(listed.tags, expected);
  }
  const blobs = new Map<string, Buffer>();
  for (const { repo, tag, image } of images.values()) {
    const m = await call(url, 'GET', `/v2/${repo}/manifests/${tag}`);
    assert.deepEqual(m.body, image.manifest.bytes);
    for (const b of image.blobs) blobs.set(b.descriptor.digest, b.bytes);
  }
  for (const [digest, bytes] of blobs) {
    const got = await readFile(join(server.storage, 'blobs', 'sha256', digest.slice(7)));
    assert.equal(sha256(got), digest);
    assert.equal(got.length, bytes.length);
  }
  const moving = await call(url, 'HEAD', '/v2/stress/shared/manifests/moving');
  assert.ok([...images.values()].some((x) => x.image.manifest.digest === moving.headers.get('docker-content-digest')));
  const index = JSON.parse(await readFile(join(server.storage, 'index.json'), 'utf8')) as { manifests: unknown[] };
  assert.equal(index.manifests.length, CLIENTS * PUSHES + 1);
  assert.deepEqual(await readdir(join(server.storage, '.ferry-tmp')), []);
});

test('concurrent skopeo pushes of a multi-arch image to one repository', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startTestServer(t);
  const src = await tempDir('stress-src', t);
  const multi = await makeIndex('stress-skopeo', ['amd64', 'arm64']);
  const store = await layoutWithImage(src, 'x', 'unused', ...multi.images);
  await layoutRepository(store, 'x').manifestPut('multi', multi.index);
  const tags = ['a', 'b', 'c', 'd'];
  await Promise.all(tags.map((tag) => skopeoCopy(`oci:${src}:x:multi`, `docker://${server.host}/ns/same:${tag}`, ['--all'], { dest: { tlsVerify: false } })));
  for (const tag of tags) assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/same:${tag}`, { tlsVerify: false }), multi.index.digest);
});
