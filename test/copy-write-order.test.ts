import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startProxy, type ProxyLogEntry, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { file, syncWithReport } from './fixtures/sync.ts';

/**
 * The write order the README promises, read from the counting proxy's log in
 * front of the destination registry: every blob of a manifest is written
 * before that manifest's PUT starts, an index's children before the index,
 * and the tag last of all — so a reader never sees a tag whose content is
 * missing, and a run cut anywhere leaves no tag behind.
 */

const skip = requirePeer('docker-registry', 'skopeo');
const PLATFORMS = [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 's390x' }];
const store = syntheticStore([
  { name: 'order/multi', tag: 'v1', layers: [96 * 1024, 32 * 1024, 8 * 1024], platforms: PLATFORMS },
  { name: 'order/single', tag: 'v1', layers: [64 * 1024, 16 * 1024] },
]);

const isWrite = (e: ProxyLogEntry): boolean => e.method === 'PUT' || e.method === 'POST' || e.method === 'PATCH';
/** The blob a write request commits: `?digest=` closing an upload, `?mount=` a successful mount. */
function committedBlob(e: ProxyLogEntry): string | undefined {
  const query = new URLSearchParams(e.path.split('?')[1] ?? '');
  if (e.kind === 'upload-session' && e.method === 'PUT') return query.get('digest') ?? undefined;
  if (e.kind === 'upload' && e.status === 201) return query.get('digest') ?? query.get('mount') ?? undefined;
  return undefined;
}
const manifestRef = (e: ProxyLogEntry): string => decodeURIComponent(e.path.split('?')[0]!.split('/manifests/')[1]!);

/** Asserts the order of one image's writes in `log` (only its repository's requests). */
function assertWriteOrder(log: ProxyLogEntry[], image: BuiltImage, tag: string): void {
  const writes = log.filter(isWrite);
  const puts = writes.filter((e) => e.kind === 'manifest' && e.method === 'PUT');
  const blobDone = new Map<string, number>();
  for (const e of writes) {
    const digest = committedBlob(e);
    if (digest !== undefined) blobDone.set(digest, Math.max(blobDone.get(digest) ?? 0, e.finishedAt));
  }
  // Attempts count, whatever the registry answered: one that accepts a manifest without checking its blobs would keep it.
  const putOf = (reference: string): ProxyLogEntry => {
    const attempts = puts.filter((p) => manifestRef(p) === reference).sort((a, b) => a.seq - b.seq);
    assert.ok(attempts.length > 0, `a PUT of ${reference}: ${puts.map(manifestRef).join(', ')}`);
    return attempts[0]!;
  };

  const tagPut = putOf(tag);
  for (const instance of image.images) {
    const manifestPut = image.images.length > 1 ? putOf(instance.manifest.digest) : tagPut;
    for (const blob of [instance.config, ...instance.layers]) {
      const done = blobDone.get(blob.digest);
      assert.ok(done !== undefined, `${blob.digest} was written`);
      assert.ok(done <= manifestPut.startedAt, `${blob.digest} was written before the manifest ${manifestRef(manifestPut)} that references it`);
    }
    if (manifestPut !== tagPut) assert.ok(manifestPut.finishedAt <= tagPut.startedAt, `the index's child ${instance.manifest.digest} before the index`);
  }
  const others = writes.filter((e) => !(e.kind === 'manifest' && manifestRef(e) === tag));
  assert.ok(others.length > 0);
  for (const e of others) assert.ok(e.finishedAt <= tagPut.startedAt, `${e.method} ${e.path} ended before the tag was written`);
}

describe('write order', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-write-order')]);
    proxy = await startProxy({ upstream: dest.url });
    await seedRegistry(source.host, store.repository('order/multi'), ['v1']);
    await seedRegistry(source.host, store.repository('order/single'), ['v1']);
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('copy --all: blobs before each manifest, children before the index, the tag last', async () => {
    proxy.reset();
    const run = await runFerry(['copy', '--all', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${source.host}/order/multi:v1`, `docker://${proxy.host}/copied/multi:v1`]);
    const image = await store.image('order/multi', 'v1');
    assertWriteOrder(proxy.stats.log, image, 'v1');
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/copied/multi:v1`, { tlsVerify: false }), image.top.digest);
  });

  test('sync of two images: each image in order, its tag after all of its own writes', async () => {
    proxy.reset();
    const config = await file(work, 'order.yaml', `registries:
  "${source.host}": {tls-verify: false}
  "${proxy.host}": {tls-verify: false}
sync:
  - from: {registry: "${source.host}", repositories: ["order/*"]}
    to: {registry: "${proxy.host}", namespace: synced}
`);
    const { run } = await syncWithReport(work, 'order', ['--config', config]);
    for (const name of ['order/multi', 'order/single']) {
      const own = proxy.stats.log.filter((e) => e.path.startsWith(`/v2/synced/${name}/`));
      const image = await store.image(name, 'v1');
      assertWriteOrder(own, image, 'v1');
    }
    assert.equal(run.code, 0, explain(run));
    for (const name of ['order/multi', 'order/single']) {
      const image = await store.image(name, 'v1');
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/synced/${name}:v1`, { tlsVerify: false }), image.top.digest);
    }
  });
});
