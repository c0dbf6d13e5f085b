import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { spawnFerry, type FerryProcess } from './helpers/ferry-cli.ts';
import { freePort } from './helpers/ports.ts';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { image, PLAIN, seed, tags, type Report } from './fixtures/sync.ts';

/**
 * `ferry sync --watch` as a long-running process against real registries:
 * it picks up a tag pushed upstream without a restart, serves metrics that a
 * strict reader of the exposition format (test/helpers/prometheus-text.ts) reads and whose counters
 * match the cycle's report, exits 0 on SIGTERM, and a SIGKILL in the middle
 * of a copy leaves no partial image (skopeo judges). The fault-injecting
 * proxy holds one blob upload so the kill lands mid-copy: no real registry
 * can be made to pause on cue.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const SPECS: SyntheticImageSpec[] = [image('team/app', 'v1'), image('team/app', 'v2'), image('team/big', '1', { layers: [2 * 1024 * 1024, 2 * 1024 * 1024] })];
const store = syntheticStore(SPECS);

/** Polls until `check` holds: 240 × 250 ms, a minute on a loaded machine; fails the test after that. */
async function eventually(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (await check()) return;
    await sleep(250);
  }
  assert.fail(`timed out waiting until ${what}`);
}

/** The run's end, or a failure if it has not ended within `ms` (a bound, not a timing assertion). */
async function endsWithin(ferry: FerryProcess, ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const timeout = sleep(ms).then(() => undefined);
  const ended = await Promise.race([ferry.exited, timeout]);
  if (ended === undefined) {
    ferry.child.kill('SIGKILL');
    assert.fail(`ferry did not exit within ${ms} ms of the signal:\n${ferry.stderr()}`);
  }
  return { ...ended, stderr: ferry.stderr() };
}

async function exists(ref: string): Promise<boolean> {
  return (await runSkopeo(['inspect', '--raw', '--tls-verify=false', ref])).code === 0;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const res = await request(url);
  return { status: res.statusCode, text: await res.body.text() };
}

/** The value of one series, 0 when it is absent (a counter never incremented). */
function value(families: ReturnType<typeof parsePrometheusText>, name: string, labels: Record<string, string> = {}): number {
  return sampleValue(families, name, labels) ?? 0;
}

describe('ferry sync --watch', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;
  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-sync-watch')]);
    await seed(store, source.host, [['team/app', 'v1']]);
  });
  after(async () => {
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('with a 1 s interval it copies a tag pushed upstream without a restart; SIGTERM exits 0', async () => {
    const ferry = await spawnFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app`, `${dest.host}/w`, '--watch', '--interval', '1s', '--jitter', '0']);
    try {
      await eventually('v1 is mirrored', () => exists(`docker://${dest.host}/w/app:v1`));
      await seed(store, source.host, [['team/app', 'v2']]);
      await eventually('v2, pushed upstream later, is mirrored', () => exists(`docker://${dest.host}/w/app:v2`));
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/w/app:v2`, { tlsVerify: false }), (await store.image('team/app', 'v2')).top.digest);
    } finally {
      ferry.child.kill('SIGTERM');
    }
    const run = await endsWithin(ferry, 5000);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /cycle \d+: 2 images: 1 copied, 1 skipped, 0 failed/);
  });

  test('/metrics parses as Prometheus text and its counters match the report; /healthz and /readyz answer', async () => {
    const port = await freePort();
    const reportPath = join(work, 'watch-report.json');
    const ferry = await spawnFerry([
      'sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app`, `${dest.host}/metrics`,
      '--watch', '--interval', '1h', '--metrics-addr', `127.0.0.1:${port}`, '--report', reportPath,
    ]);
    try {
      await ferry.waitForStderr(/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/);
      await eventually('the first cycle succeeded (/readyz)', async () => (await get(`http://127.0.0.1:${port}/readyz`)).status === 200);
      await ferry.waitForStderr(/next cycle in/);
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
      const scrape = await get(`http://127.0.0.1:${port}/metrics`);
      assert.equal(scrape.status, 200);
      const families = parsePrometheusText(scrape.text);
      const destination = `docker://${dest.host}`;
      assert.equal(report.totals.copied, 2);
      for (const status of ['copied', 'skipped', 'failed'] as const) {
        assert.equal(value(families, 'ferry_sync_images_total', { destination, status }), report.totals[status], `images ${status}`);
      }
      assert.equal(value(families, 'ferry_sync_bytes_transferred_total', { destination }), report.totals.bytes);
      assert.ok(report.totals.bytes > 0);
      assert.equal(value(families, 'ferry_sync_cycles_total', { outcome: 'success' }), 1);
      assert.ok(value(families, 'ferry_sync_last_success_timestamp_seconds') * 1000 >= Date.parse(report.finished) - 1000);
      assert.equal(families.get('ferry_sync_cycle_duration_seconds')?.type, 'histogram');
      assert.equal(value(families, 'ferry_sync_cycle_duration_seconds_count'), 1);
      for (const name of ['ferry_sync_blobs_mounted_total', 'ferry_sync_retries_total', 'ferry_sync_rate_limit_waits_total']) {
        assert.equal(families.get(name)?.type, 'counter', `${name} is exposed`);
      }
      assert.equal((await get(`http://127.0.0.1:${port}/healthz`)).status, 200);
      assert.equal((await get(`http://127.0.0.1:${port}/nothing`)).status, 404);
    } finally {
      ferry.child.kill('SIGTERM');
    }
    const run = await endsWithin(ferry, 5000);
    assert.equal(run.code, 0, run.stderr);
  });

  test('SIGKILL in the middle of a copy, then a restart: no partial image is ever visible, and the restart completes it', async () => {
    await seed(store, source.host, [['team/big', '1']]);
    const proxy: RunningProxy = await startProxy({ upstream: dest.url });
    try {
      // Hold every blob upload, so the copy is surely between its first blob and its manifest when killed.
      proxy.addFault({ type: 'delay', ms: 60_000, times: Number.POSITIVE_INFINITY, match: { method: 'PUT', kind: 'upload-session' } });
      const args = ['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/big`, `${proxy.host}/k`, '--watch', '--interval', '1s'];
      const first = await spawnFerry(args);
      await eventually('a blob upload has started', async () => proxy.count('POST upload') > 0);
      first.child.kill('SIGKILL');
      const killed = await endsWithin(first, 5000);
      assert.equal(killed.signal, 'SIGKILL');
      assert.equal(await exists(`docker://${dest.host}/k/big:1`), false, 'no manifest names a partial image');
      assert.deepEqual(await tags(dest.url, 'k/big'), []);

      proxy.reset();
      const second = await spawnFerry(args);
      try {
        await eventually('the restart mirrors the image', () => exists(`docker://${dest.host}/k/big:1`));
      } finally {
        second.child.kill('SIGTERM');
      }
      assert.equal((await endsWithin(second, 5000)).code, 0);
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/k/big:1`, { tlsVerify: false }), (await store.image('team/big', '1')).top.digest);
      // skopeo pulls every blob and checks its digest: the image is whole.
      await skopeoCopy(`docker://${dest.host}/k/big:1`, `dir:${join(work, 'big')}`, [], { src: { tlsVerify: false } });
    } finally {
      await proxy.stop();
    }
  });
});
