import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, contents, file, image, PLAIN, seedAll, syncWithReport } from './fixtures/sync.ts';

/**
 * "Without --keep-going the first permanent failure stops the run": four
 * images copied one at a time, the second refused for good (403 on its
 * layer, injected by the proxy in front of the source). The first is
 * copied, the last two are never started — the source proxy sees no read
 * of their content and the destination holds nothing of them. With
 * --keep-going the same run copies the other three.
 */

const skip = requirePeer('docker-registry', 'skopeo');
const SPECS: SyntheticImageSpec[] = ['a', 'b', 'c', 'd'].map((n) => image(`stop/${n}`, 'v1', { layers: [16 * 1024] }));
const store = syntheticStore(SPECS);

describe('the first permanent failure', { skip }, () => {
  let source: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;
  let failing: string;

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-stop')]);
    proxy = await startProxy({ upstream: source.url });
    await seedAll(store, source.host, SPECS);
    failing = (await store.image('stop/b', 'v1')).images[0]!.layers[0]!.digest;
  });

  after(async () => {
    await proxy?.stop();
    await source?.stop();
    if (work) await removeTempDir(work);
  });

  /** Syncs a, b, c, d in that order, one at a time, with b's layer refused. */
  async function run(name: string, extra: string[]) {
    const dest = await startRegistry();
    try {
      proxy.reset();
      const refused = proxy.addFault({ type: 'status', status: 403, times: Infinity, match: { method: 'GET', kind: 'blob', path: failing } });
      const mapping = await file(work, `${name}.txt`, SPECS.map((s) => `${proxy.host}/${s.name}:${s.tag} ${dest.host}/${s.name}`).join('\n'));
      const result = await syncWithReport(work, name, ['--mapping', mapping, ...PLAIN, '--jobs', '1', ...extra]);
      assert.ok(refused.hits >= 1, 'the layer of stop/b was refused');
      /** Repositories whose content (manifest body or blob) the run read from the source. */
      const read = new Set(proxy.stats.log.filter((e) => e.method === 'GET' && (e.kind === 'blob' || e.kind === 'manifest')).map((e) => /^\/v2\/(.+)\/(blobs|manifests)\//.exec(e.path)![1]!));
      const held = await contents(dest.url);
      // What reached the destination is whole.
      await assertDigests(dest.host, Object.fromEntries(await Promise.all(held.map(async (ref) => [ref, (await store.image(ref.split(':')[0]!, 'v1')).top.digest] as const))));
      return { ...result, read, held };
    } finally {
      await dest.stop();
    }
  }

  test('without --keep-going: a is copied, b fails, c and d never start; exit 1', async () => {
    const r = await run('stop', []);
    assert.equal(r.run.code, 1, r.run.stderr);
    assert.match(r.run.stderr, /stop\/b/);
    assert.deepEqual(r.held, ['stop/a:v1'], 'only the image before the failure reached the destination');
    assert.ok(r.read.has('stop/a') && r.read.has('stop/b'), [...r.read].join(', '));
    assert.ok(!r.read.has('stop/c') && !r.read.has('stop/d'), `c and d were never read: ${[...r.read].join(', ')}`);
  });

  test('with --keep-going: a, c and d are copied, b is reported failed; exit 1', async () => {
    const r = await run('keep-going', ['--keep-going']);
    assert.equal(r.run.code, 1, r.run.stderr);
    assert.deepEqual(r.held, ['stop/a:v1', 'stop/c:v1', 'stop/d:v1']);
    assert.equal(r.report?.totals.failed, 1);
    assert.equal(r.report?.totals.copied, 3);
  });
});
