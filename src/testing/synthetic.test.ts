import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isFerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { parseManifest } from '../oci/manifest.ts';
import { MediaType } from '../oci/media-types.ts';
import { randomBytesAt, randomChunks, randomStream } from './random-stream.ts';
import { DOCKER_LAYER_TAR, MIN_LAYER_SIZE, layerStream, syntheticLayer, syntheticRepository, syntheticStore } from './synthetic.ts';

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

test('random bytes are deterministic, seed-dependent and addressable at any offset', async () => {
  const a = await collect(randomStream('seed-a', 300_000));
  assert.equal(a.length, 300_000);
  assert.deepEqual(await collect(randomStream('seed-a', 300_000)), a);
  assert.notDeepEqual(randomBytesAt('seed-b', 0, 64), a.subarray(0, 64));
  for (const offset of [0, 1, 15, 16, 17, 262_143, 262_144, 299_990]) {
    assert.deepEqual(randomBytesAt('seed-a', offset, 10), a.subarray(offset, offset + 10), `offset ${offset}`);
  }
  assert.deepEqual(await collect(randomStream('seed-a', 300_000, { offset: 12_345 })), a.subarray(12_345));
  assert.equal([...randomChunks('x', 5, 0)].length, 0);
});

test('a synthetic layer is a tar of exactly its declared size with a seed-derived file', async () => {
  for (const size of [MIN_LAYER_SIZE, 2048, 5000, 100_001]) {
    const layer = syntheticLayer(`layer-${size}`, size);
    const bytes = await collect(layerStream(layer));
    assert.equal(bytes.length, size);
    assert.deepEqual(await collect(layerStream(layer)), bytes, 'a second read gives the same bytes');
    assert.deepEqual(await collect(layerStream(layer, 700)), bytes.subarray(700), 'resuming at an offset');
    // ustar header: name, size field (octal), magic, and a checksum that adds up.
    assert.equal(bytes.subarray(0, layer.fileName.length).toString('ascii'), layer.fileName);
    assert.equal(parseInt(bytes.subarray(124, 135).toString('ascii'), 8), layer.contentSize);
    assert.equal(bytes.subarray(257, 262).toString('ascii'), 'ustar');
    const header = Buffer.from(bytes.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString('ascii'), 8);
    header.fill(0x20, 148, 156);
    assert.equal(header.reduce((s, b) => s + b, 0), stored);
    assert.ok(bytes.subarray(512 + layer.contentSize).every((b) => b === 0), 'end-of-archive and tail are zeros');
    assert.equal(layer.contentSize % 512, 0);
  }
  assert.throws(() => syntheticLayer('small', MIN_LAYER_SIZE - 1), (e) => isFerryError(e, 'USAGE'));
  assert.throws(() => syntheticLayer('frac', 2000.5), (e) => isFerryError(e, 'USAGE'));
});

test('a synthetic repository serves a consistent single-platform OCI image', async () => {
  const repo = syntheticRepository([{ name: 'team/app', tag: '1.0', layers: [4096, 10_000], labels: { a: 'b' }, env: ['X=1'] }]);
  assert.equal(repo.repository, 'team/app');
  assert.match(repo.storageId, /^synthetic:/);
  assert.deepEqual(await repo.tagList(), ['1.0']);
  const head = await repo.manifestHead('1.0');
  const raw = await repo.manifestGet('1.0');
  assert.ok(head);
  assert.equal(head.digest, raw.digest);
  assert.equal(head.size, raw.bytes.byteLength);
  assert.equal(raw.digest, sha256(raw.bytes));
  assert.deepEqual((await repo.manifestGet(raw.digest)).bytes, raw.bytes);
  const parsed = parseManifest(raw.bytes, raw.mediaType, 'synthetic');
  assert.equal(parsed.kind, 'image');
  if (parsed.kind !== 'image') return;
  assert.equal(parsed.mediaType, MediaType.ociManifest);
  assert.deepEqual(parsed.manifest.layers.map((l) => l.size), [4096, 10_000]);
  for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
    assert.equal(await repo.blobHead(d.digest), d.size);
    const bytes = await collect(await repo.blobGet(d));
    assert.equal(bytes.length, d.size);
    assert.equal(sha256(bytes), d.digest);
  }
  const config = JSON.parse(Buffer.from(await collect(await repo.blobGet(parsed.manifest.config))).toString('utf8'));
  assert.equal(config.os, 'linux');
  assert.equal(config.architecture, 'amd64');
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: parsed.manifest.layers.map((l) => l.digest) });
  assert.deepEqual(config.config, { Env: ['X=1'], Labels: { a: 'b' } });
  assert.equal(config.history.length, 2);

  const missing: Digest = `sha256:${'0'.repeat(64)}`;
  assert.equal(await repo.blobHead(missing), undefined);
  assert.equal(await repo.manifestHead('nope'), undefined);
  await assert.rejects(repo.manifestGet('nope'), (e) => isFerryError(e, 'NOT_FOUND'));
  await assert.rejects(repo.blobGet({ mediaType: MediaType.ociLayer, digest: missing, size: 1 }), (e) => isFerryError(e, 'NOT_FOUND'));
  await assert.rejects(repo.blobPut(parsed.manifest.config, Readable.from([])), (e) => isFerryError(e, 'UNSUPPORTED'));
  await assert.rejects(repo.manifestPut('x', raw), (e) => isFerryError(e, 'UNSUPPORTED'));
});

test('several platforms make an index; shared layers and seeds dedupe across images', async () => {
  const shared = [{ size: 8192, seed: 'base-os' }];
  const platforms = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }];
  const store = syntheticStore([
    { name: 'a', tag: 'multi', layers: [2048], platforms, sharedLayers: shared },
    { name: 'b', tag: 'one', layers: [2048], sharedLayers: shared },
    { name: 'b', tag: 'same1', layers: [3000], seed: 's' },
    { name: 'b', tag: 'same2', layers: [3000], seed: 's' },
    { name: 'b', tag: 'docker', layers: [2048], platforms, mediaTypes: 'docker' },
  ]);
  assert.deepEqual(store.names(), ['a', 'b']);
  const multi = await store.image('a', 'multi');
  const index = parseManifest(multi.top.bytes, multi.top.mediaType, 'multi');
  assert.equal(index.kind, 'index');
  if (index.kind !== 'index') return;
  assert.equal(index.mediaType, MediaType.ociIndex);
  assert.deepEqual(index.index.manifests.map((m) => m.platform), [{ architecture: 'amd64', os: 'linux' }, { architecture: 'arm64', os: 'linux', variant: 'v8' }]);
  const [amd, arm] = multi.images;
  assert.ok(amd && arm);
  assert.equal(amd.layers[0]!.digest, arm.layers[0]!.digest, 'shared layer identical across platforms');
  assert.notEqual(amd.layers[1]!.digest, arm.layers[1]!.digest, 'own layers differ per platform');
  const one = await store.image('b', 'one');
  assert.equal(one.images[0]!.layers[0]!.digest, amd.layers[0]!.digest, 'shared layer identical across repositories');
  const b = store.repository('b');
  assert.equal((await b.manifestHead('same1'))?.digest, (await b.manifestHead('same2'))?.digest);
  const a = store.repository('a');
  assert.equal((await a.manifestHead(amd.manifest.digest))?.mediaType, MediaType.ociManifest, 'child manifest by digest');
  assert.equal(await a.blobHead(one.images[0]!.config.digest), undefined, 'blobs are scoped to their repository');

  const docker = await store.image('b', 'docker');
  assert.equal(docker.top.mediaType, MediaType.dockerManifestList);
  assert.equal(docker.images[0]!.manifest.mediaType, MediaType.dockerManifest);
  assert.equal(docker.images[0]!.config.mediaType, MediaType.dockerConfig);
  assert.equal(docker.images[0]!.layers[0]!.mediaType, DOCKER_LAYER_TAR);
  assert.deepEqual(await b.tagList(), ['docker', 'one', 'same1', 'same2']);
  assert.throws(() => store.repository('c'), (e) => isFerryError(e, 'NOT_FOUND'));
});

test('bad specs and aborted reads fail with FerryErrors', async () => {
  assert.throws(() => syntheticStore([{ name: 'a', tag: 't', layers: [10] }]), (e) => isFerryError(e, 'USAGE'));
  assert.throws(() => syntheticStore([{ name: 'a', tag: 't', layers: [] }, { name: 'a', tag: 't', layers: [] }]), (e) => isFerryError(e, 'USAGE'));
  assert.throws(() => syntheticRepository([{ name: 'a', tag: 't', layers: [] }, { name: 'b', tag: 't', layers: [] }]), (e) => isFerryError(e, 'USAGE'));
  const repo = syntheticRepository([{ name: 'a', tag: 't', layers: [4 * 1024 * 1024] }]);
  const aborted = AbortSignal.abort();
  await assert.rejects(repo.manifestGet('t', { signal: aborted }), (e) => isFerryError(e, 'ABORTED'));
  const raw = await repo.manifestGet('t');
  const parsed = parseManifest(raw.bytes, raw.mediaType, 't');
  assert.equal(parsed.kind, 'image');
  if (parsed.kind !== 'image') return;
  const controller = new AbortController();
  const stream = await repo.blobGet(parsed.manifest.layers[0]!, { signal: controller.signal });
  await assert.rejects(
    (async () => {
      for await (const _ of stream) controller.abort();
    })(),
    (e) => isFerryError(e, 'ABORTED'),
  );
});
