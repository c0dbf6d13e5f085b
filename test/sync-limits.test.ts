import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { startProxy, type ProxyLogEntry, type RunningProxy, type TrafficSample } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, file, seedAll, syncOk } from './fixtures/sync.ts';

/**
 * The per-registry limits of ferry YAML — `bandwidth`, `requests-per-second`,
 * `max-concurrency` — on a real sync into a real registry, judged from the
 * counting proxy in front of it: bytes and requests in every one-second
 * window of the proxy's own log, and the most requests and connections it
 * saw at once. Never the run's wall time. Uploads are measured, because
 * there the cap sits before the proxy: downloads reach the proxy's counters
 * as fast as socket buffers fill, whatever the client reads. Each limited
 * run has an unlimited twin over the same images, which must break the
 * bound, so the bound is known to be tight enough to catch a limit that
 * does nothing.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const WINDOW_MS = 1000;
/** Four images of two 32 KiB layers each: 256 KiB of layers to upload, four seconds at the cap below. */
const SPECS: SyntheticImageSpec[] = ['a', 'b', 'c', 'd'].map((n) => ({ name: `limits/${n}`, tag: 'v1', layers: [32 * 1024, 32 * 1024] }));
const store = syntheticStore(SPECS);

/** The most `weight` that falls into any window of `windowMs` starting at one of the points. */
function maxPerWindow(points: Array<{ at: number; weight: number }>, windowMs = WINDOW_MS): number {
  const sorted = [...points].sort((a, b) => a.at - b.at);
  let best = 0;
  for (const [i, start] of sorted.entries()) {
    let sum = 0;
    for (const p of sorted.slice(i)) {
      if (p.at >= start.at + windowMs) break;
      sum += p.weight;
    }
    best = Math.max(best, sum);
  }
  return best;
}

const uploadBytes = (traffic: TrafficSample[]) => traffic.filter((s) => s.direction === 'in').map((s) => ({ at: s.at, weight: s.bytes }));
const requestStarts = (log: ProxyLogEntry[]) => log.map((e) => ({ at: e.startedAt, weight: 1 }));

describe('sync limits per registry', { skip }, () => {
  let source: RunningRegistry;
  let work: string;

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-limits')]);
    await seedAll(store, source.host, SPECS);
  });

  after(async () => {
    await source?.stop();
    if (work) await removeTempDir(work);
  });

  /** Syncs every image into a fresh registry behind a fresh proxy, with `limits` (ferry YAML keys) for it; returns the proxy. */
  async function syncInto(name: string, limits: Record<string, string | number>, onProxy?: (proxy: RunningProxy) => void): Promise<RunningProxy> {
    const dest = await startRegistry();
    const proxy = await startProxy({ upstream: dest.url });
    try {
      onProxy?.(proxy);
      const extra = Object.entries(limits).map(([k, v]) => `, ${k}: ${v}`).join('');
      const config = await file(work, `${name}.yaml`, `defaults: {jobs: 4}
registries:
  "${source.host}": {tls-verify: false}
  "${proxy.host}": {tls-verify: false${extra}}
sync:
  - from: {registry: "${source.host}", repositories: ["limits/*"]}
    to: "${proxy.host}"
`);
      const { report } = await syncOk(work, name, ['--config', config]);
      assert.equal(report.totals.copied, SPECS.length);
      await assertDigests(dest.host, Object.fromEntries(await Promise.all(SPECS.map(async (s) => [`${s.name}:${s.tag}`, (await store.image(s.name, s.tag)).top.digest] as const))));
      return proxy;
    } finally {
      await proxy.stop();
      await dest.stop();
    }
  }

  test('bandwidth: no second of the upload carries more than the cap plus the one-second burst', async () => {
    const rate = 64 * 1024;
    // The bucket grants a chunk whole, so one chunk (at most 64 KiB) may spill over.
    const bound = 2 * rate + 64 * 1024;
    const limited = await syncInto('bandwidth', { bandwidth: `${rate / 1024}KiB/s` });
    const peak = maxPerWindow(uploadBytes(limited.stats.traffic));
    assert.ok(limited.uploadedBytes() >= 8 * 32 * 1024, `every layer was uploaded (${limited.uploadedBytes()})`);
    assert.ok(peak <= bound, `at most ${bound} bytes in any second, saw ${peak}`);
    const free = await syncInto('bandwidth-free', {});
    assert.ok(maxPerWindow(uploadBytes(free.stats.traffic)) > bound, 'without the cap the same upload breaks the bound');
  });

  test('requests-per-second: no second sees more requests than the cap plus the one-second burst', async () => {
    const rps = 10;
    // Requests granted just before a window may arrive just inside it: two of slack for that jitter.
    const bound = 2 * rps + 2;
    const limited = await syncInto('rps', { 'requests-per-second': rps });
    assert.ok(limited.stats.log.length > bound, `the sync needed more than ${bound} requests (${limited.stats.log.length})`);
    const peak = maxPerWindow(requestStarts(limited.stats.log));
    assert.ok(peak <= bound, `at most ${bound} requests in any second, saw ${peak}`);
    const free = await syncInto('rps-free', {});
    assert.ok(maxPerWindow(requestStarts(free.stats.log)) > bound, 'without the cap the same sync breaks the bound');
  });

  test('max-concurrency: never more requests in flight, nor connections open, than the cap', async () => {
    const limited = await syncInto('concurrency', { 'max-concurrency': 2 });
    assert.ok(limited.stats.maxInFlight <= 2, `in flight at once: ${limited.stats.maxInFlight}`);
    assert.ok(limited.stats.maxConnections <= 2, `connections at once: ${limited.stats.maxConnections}`);
    // Unlimited, the same four parallel images reach at least three uploads at once: the proxy holds them until they do.
    const free = await syncInto('concurrency-free', {}, (proxy) => void proxy.addGate({ match: { method: 'PUT', kind: 'upload-session' }, openAt: 3 }));
    assert.ok(free.stats.maxInFlight >= 3, `without the cap: ${free.stats.maxInFlight} in flight`);
  });
});
