import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { spawnFerry, type FerryProcess } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * What a copy prints while it runs: periodic plain lines in a pipe (a CI
 * log), a redrawn view under a terminal. The proxy holds the large layer
 * until the test has seen the output it waits for, so the copy is still
 * running, by construction, while the output is checked. The line interval
 * comes from FERRY_PROGRESS_INTERVAL, as documented.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'script');
/** Tests wait for output, not for time; this only ends a run whose output never comes. */
const TIMEOUT = { timeout: 60_000 };
// eslint-disable-next-line no-control-regex
const ESCAPE = /\x1b\[/;

const LAYER = 256 * 1024;
const store = syntheticStore([{ name: 'progress/app', tag: 'v1', layers: [LAYER, 8 * 1024] }]);

describe('progress output', { skip }, () => {
  let registry: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;
  let built: BuiltImage;

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-progress')]);
    proxy = await startProxy({ upstream: registry.url });
    await seedRegistry(registry.host, store.repository('progress/app'), ['v1']);
    built = await store.image('progress/app', 'v1');
  });

  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work) await removeTempDir(work);
  });

  /** Copies the image with its large layer held by the proxy; `watch` sees the process while the layer is held. */
  async function copyHeld(name: string, options: { tty?: boolean; env?: Record<string, string> }, watch: (ferry: FerryProcess) => Promise<void>): Promise<FerryProcess> {
    proxy.reset();
    const layer = built.images[0]!.layers.find((l) => l.size === LAYER)!.digest;
    const gate = proxy.addGate({ match: { method: 'GET', kind: 'blob', path: layer } });
    const out = join(work, name);
    const ferry = await spawnFerry(['copy', '--src-tls-verify=false', `docker://${proxy.host}/progress/app:v1`, `oci:${out}:app`], options);
    try {
      await gate.reached;
      await watch(ferry);
    } finally {
      gate.open();
    }
    const { code } = await ferry.exited;
    assert.equal(code, 0, ferry.stderr());
    assert.equal(await skopeoInspectDigest(`oci:${out}:app`), built.top.digest);
    return ferry;
  }

  test('in a pipe: a plain progress line every FERRY_PROGRESS_INTERVAL, no terminal codes, a summary', TIMEOUT, async () => {
    const ferry = await copyHeld('pipe', { env: { FERRY_PROGRESS_INTERVAL: '0.1' } }, async (running) => {
      // Three lines while nothing moves: they come from the timer, not from transfer events.
      await running.waitForStderr(/(^progress: .*\n){3}/m);
    });
    const lines = ferry.stderr().split('\n').filter((l) => l.startsWith('progress: '));
    for (const line of lines) assert.match(line, /^progress: \d+(\.\d)? (B|KiB|MiB) transferred, \S+ \S+\/s, \d+ blobs in flight$/);
    assert.ok(lines.some((l) => / [1-9]\d* blobs in flight$/.test(l)), 'the held layer counts as in flight');
    assert.doesNotMatch(ferry.stderr(), ESCAPE, 'no cursor movement in a pipe');
    assert.match(ferry.stderr(), /^Copied .* \(sha256:[0-9a-f]{64}\): .*$/m, 'a summary at the end');
  });

  test('under a terminal: the active transfer as a bar, redrawn in place, and no periodic lines', TIMEOUT, async () => {
    const short = built.images[0]!.layers.find((l) => l.size === LAYER)!.digest.slice(7, 19);
    const ferry = await copyHeld('tty', { tty: true, env: { FERRY_PROGRESS_INTERVAL: '0.1' } }, async (running) => {
      // The held layer's own line, with its bar and size, and the overall line; then a second drawing over the first.
      await running.waitForStderr(new RegExp(`${short} \\[ *\\] 0 B / 256\\.0 KiB[^]*transferred[^]*\\x1b\\[\\d+A\\x1b\\[J`));
    });
    const screen = ferry.stderr();
    assert.doesNotMatch(screen, /^progress: /m, 'a terminal gets the live view, not log lines');
    assert.match(screen, /Copied .* \(sha256:[0-9a-f]{64}\): /);
  });
});
