import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { spawnFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * An interrupted CLI copy exits 130, as documented, and leaves no manifest
 * behind: the proxy holds a layer, so the signal lands, by construction,
 * while the copy is in flight.
 */

const skip = requirePeer('docker-registry', 'skopeo');
const TIMEOUT = { timeout: 60_000 };
const store = syntheticStore([{ name: 'sig/app', tag: 'v1', layers: [128 * 1024, 4 * 1024] }]);

describe('an interrupted copy', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;
  let built: BuiltImage;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-copy-signals')]);
    proxy = await startProxy({ upstream: source.url });
    await seedRegistry(source.host, store.repository('sig/app'), ['v1']);
    built = await store.image('sig/app', 'v1');
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} during a copy exits 130 and writes no manifest`, TIMEOUT, async () => {
      proxy.reset();
      const layer = built.images[0]!.layers[0]!.digest;
      const gate = proxy.addGate({ match: { method: 'GET', kind: 'blob', path: layer } });
      const repo = `interrupted-${signal.toLowerCase()}/app`;
      const ferry = await spawnFerry(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${proxy.host}/sig/app:v1`, `docker://${dest.host}/${repo}:v1`]);
      await gate.reached;
      ferry.child.kill(signal);
      const { code } = await ferry.exited;
      gate.open();
      assert.equal(code, 130, ferry.stderr());
      assert.match(ferry.stderr(), new RegExp(`${signal} received, stopping`));
      assert.match(ferry.stderr(), /^ferry: cancelled$/m);
      assert.doesNotMatch(ferry.stderr(), /^\s+at /m, 'no stack trace');
      const inspected = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/${repo}:v1`]);
      assert.notEqual(inspected.code, 0, 'no manifest at the destination');
    });
  }

  test('an interrupted copy into an OCI layout leaves no entry in index.json', TIMEOUT, async () => {
    proxy.reset();
    const gate = proxy.addGate({ match: { method: 'GET', kind: 'blob', path: built.images[0]!.layers[0]!.digest } });
    const layout = join(work, 'layout');
    const ferry = await spawnFerry(['copy', '--src-tls-verify=false', `docker://${proxy.host}/sig/app:v1`, `oci:${layout}:app`]);
    await gate.reached;
    ferry.child.kill('SIGINT');
    const { code } = await ferry.exited;
    gate.open();
    assert.equal(code, 130, ferry.stderr());
    const index = await readFile(join(layout, 'index.json'), 'utf8').catch(() => '{"manifests":[]}');
    assert.deepEqual((JSON.parse(index) as { manifests: unknown[] }).manifests, [], index);
  });
});
