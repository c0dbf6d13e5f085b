import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isFerryError } from '../src/errors.ts';
import { ANNOTATION_SOURCE } from '../src/oci/descriptor.ts';
import { MediaType } from '../src/oci/media-types.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { ANNOTATION_REPOSITORY } from '../src/transports/layout/layout-names.ts';
import { openLayoutStore, type LayoutStore } from '../src/transports/layout/layout-store.ts';
import type { Repository } from '../src/repository/repository.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { descriptorOf, makeImage, makeIndex, sha256, type TestImage } from './fixtures/layout-image.ts';

async function putImage(repo: Repository, image: TestImage, tag?: string): Promise<void> {
  for (const b of image.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
  await repo.manifestPut(tag ?? image.manifest.digest, image.manifest);
}

async function newStore(t: { after(fn: () => unknown): void }): Promise<LayoutStore> {
  return openLayoutStore(await tempDir('layout-repo', t), { create: true });
}

test('tags, digests and entries of one repository', async (t) => {
  const store = await newStore(t);
  const repo = layoutRepository(store, 'ns/app');
  assert.equal(repo.storageId, `oci:${store.realDir}`);
  assert.equal(repo.display, `oci:${store.dir}`);
  const v1 = await makeImage({ seed: 'v1' });
  const v2 = await makeImage({ seed: 'v2' });
  for (const b of v1.blobs) assert.equal(await repo.blobPut(b.descriptor, Readable.from([b.bytes])), 'uploaded');
  assert.equal(await repo.blobPut(v1.blobs[0]!.descriptor, Readable.from([v1.blobs[0]!.bytes])), 'exists');
  await repo.manifestPut('1.0', v1.manifest, { annotations: { [ANNOTATION_SOURCE]: 'docker://example/ns/app:1.0' } });
  await putImage(repo, v2, 'latest');

  assert.deepEqual(await repo.tagList(), ['1.0', 'latest']);
  assert.deepEqual(await repo.manifestHead('1.0'), descriptorOf(v1.manifest));
  const got = await repo.manifestGet('1.0');
  assert.deepEqual(Buffer.from(got.bytes), v1.manifest.bytes);
  assert.equal(got.digest, v1.manifest.digest);
  assert.equal(got.mediaType, MediaType.ociManifest);
  assert.equal((await repo.manifestGet(v2.manifest.digest)).digest, v2.manifest.digest);
  assert.equal((await repo.manifestHead(v2.manifest.digest))?.size, v2.manifest.bytes.length);
  assert.equal(await repo.manifestHead('nope'), undefined);
  await assert.rejects(repo.manifestGet('nope'), (e) => isFerryError(e, 'NOT_FOUND'));
  await assert.rejects(repo.manifestPut('bad tag', v1.manifest), (e) => isFerryError(e, 'INVALID_REFERENCE'));
  await assert.rejects(repo.manifestPut(v2.manifest.digest, v1.manifest), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  await assert.rejects(repo.manifestPut('x', { ...v1.manifest, digest: v2.manifest.digest }), (e) => isFerryError(e, 'DIGEST_MISMATCH'));

  // A tag moves: the entry is replaced, not duplicated.
  await repo.manifestPut('1.0', v2.manifest);
  const entries = await store.listEntries();
  assert.equal(entries.length, 2);
  assert.equal((await repo.manifestHead('1.0'))?.digest, v2.manifest.digest);
  assert.equal(entries.find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'ns/app:1.0')?.annotations?.[ANNOTATION_SOURCE], undefined);

  // Another repository of the same store sees its own tags only, and shares blobs.
  const other = layoutRepository(store, 'ns/other');
  assert.deepEqual(await other.tagList(), []);
  assert.equal(await other.blobMount!(v1.blobs[1]!.descriptor, 'ns/app'), true);
  assert.equal(await other.blobMount!({ ...v1.blobs[1]!.descriptor, digest: sha256('absent') }, 'ns/app'), false);

  await repo.manifestDelete!('latest');
  assert.deepEqual(await repo.tagList(), ['1.0']);
  await assert.rejects(repo.manifestDelete!('latest'), (e) => isFerryError(e, 'NOT_FOUND'));
  await repo.manifestDelete!(v2.manifest.digest);
  assert.deepEqual(await repo.tagList(), []);
});

test('bare names address the whole layout', async (t) => {
  const store = await newStore(t);
  const bare = layoutRepository(store, '');
  const named = layoutRepository(store, 'ns/app');
  const image = await makeImage({ seed: 'bare' });
  await putImage(bare, image, 'mytag');
  await named.manifestPut('2', image.manifest);
  assert.deepEqual(await bare.tagList(), ['mytag', 'ns/app:2']);
  assert.deepEqual(await named.tagList(), ['2']);
  assert.equal((await bare.manifestGet('ns/app:2')).digest, image.manifest.digest);
});

test('a referrer put by digest is recorded as an untagged entry of its repository', async (t) => {
  const store = await newStore(t);
  const repo = layoutRepository(store, 'ns/app');
  const image = await makeImage({ seed: 'subject' });
  await putImage(repo, image, '1');
  const sig = await makeImage({ seed: 'sig', subject: descriptorOf(image.manifest), artifactType: 'application/example.sig' });
  await putImage(repo, sig);
  const child = await makeImage({ seed: 'plain' });
  await putImage(repo, child);
  const untagged = (await store.listEntries()).filter((e) => e.annotations?.[ANNOTATION_REPOSITORY] === 'ns/app');
  assert.deepEqual(untagged.map((e) => e.digest), [sig.manifest.digest]);
  assert.deepEqual(await repo.tagList(), ['1']);
});

test('skopeo reads images written by the store, and ferry reads what skopeo writes', { skip: requirePeer('skopeo') }, async (t) => {
  const store = await newStore(t);
  const out = await tempDir('layout-skopeo-out', t);
  const repo = layoutRepository(store, 'ns/app');
  const image = await makeImage({ seed: 'skopeo', layers: 2 });
  await putImage(repo, image, '1.0');
  await skopeoCopy(`oci:${store.dir}:ns/app:1.0`, `dir:${out}`);
  assert.equal(sha256(await readFile(join(out, 'manifest.json'))), image.manifest.digest);

  const multi = await makeIndex('multi');
  for (const img of multi.images) await putImage(repo, img);
  await repo.manifestPut('multi', multi.index);
  assert.equal(await skopeoInspectDigest(`oci:${store.dir}:ns/app:multi`), multi.index.digest);

  // skopeo writes into the shared store next to ferry's entries.
  await skopeoCopy(`oci:${store.dir}:ns/app:multi`, `oci:${store.dir}:other/img:2.0`, ['--all']);
  const copied = layoutRepository(store, 'other/img');
  assert.deepEqual(await copied.tagList(), ['2.0']);
  const got = await copied.manifestGet('2.0');
  assert.equal(got.digest, multi.index.digest);
  assert.equal(got.mediaType, MediaType.ociIndex);
  assert.deepEqual(await repo.tagList(), ['1.0', 'multi']);
});

test('umoci lists and reads images of the shared store', { skip: requirePeer('umoci') }, async (t) => {
  const store = await newStore(t);
  const image = await makeImage({ seed: 'umoci' });
  await putImage(layoutRepository(store, 'ns/app'), image, '1.0');
  await putImage(layoutRepository(store, 'other'), image, 'latest');
  await store.tempPath(); // ferry's temp directory must not disturb other tools
  const run = promisify(execFile);
  const { stdout } = await run('umoci', ['ls', '--layout', store.dir]);
  assert.deepEqual(stdout.trim().split('\n').sort(), ['ns/app:1.0', 'other:latest']);
  await run('umoci', ['stat', '--image', `${store.dir}:ns/app:1.0`]);
});
