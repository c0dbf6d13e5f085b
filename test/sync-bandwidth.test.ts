import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parseFerryYaml } from '../src/sync/config/ferry-yaml.ts';
import { resolveRegistryOptions, UNLIMITED_BANDWIDTH } from '../src/sync/config/registry-options.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { RegistryClient } from '../src/transports/registry/registry-client.ts';
import { explain } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, contents, file, seed, syncOk, syncWithReport } from './fixtures/sync.ts';

/**
 * Harbor's bandwidth values in ferry's YAML, against two docker-registry
 * instances: `-1` means no limit (and lifts the cap of a broader entry, so
 * a 200 KiB image copies at once where 1 KiB/s would take minutes); a bare
 * number (Harbor counts it in Kbps) is refused with a hint to write the
 * unit, before anything is copied, instead of being read as bytes per second.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const store = syntheticStore([{ name: 'bw/app', tag: 'v1', layers: [200 * 1024] }]);

describe('bandwidth in ferry YAML', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-sync-bandwidth')]);
    await seed(store, source.host, [['bw/app', 'v1']]);
  });

  after(async () => {
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  const config = (destBandwidth: string, namespace = 'fast'): string => `version: 1
registries:
  "${source.host}":
    tls-verify: false
  "${dest.host}":
    tls-verify: false
    bandwidth: 1KiB/s
  "${dest.host}/${namespace}":
    bandwidth: ${destBandwidth}
sync:
  - from: ${source.host}/bw/app
    to: {registry: "${dest.host}", namespace: ${namespace}}
`;

  test('-1 is unlimited and overrides a broader cap', async () => {
    const text = config('-1');
    const spec = parseFerryYaml(text, 'ferry.yaml', { env: {} });
    const options = resolveRegistryOptions(spec.registries, dest.host, 'fast/bw/app');
    assert.equal(options.bandwidth, UNLIMITED_BANDWIDTH);
    assert.equal(resolveRegistryOptions(spec.registries, dest.host, 'other/app').bandwidth, 1024, 'the broader cap stays elsewhere');
    const client = await RegistryClient.create({ registry: dest.host, bandwidth: options.bandwidth });
    assert.equal(client.bandwidth, undefined, 'no pacing');
    await client.close();

    const { report } = await syncOk(work, 'unlimited', ['--config', await file(work, 'unlimited.yaml', text)]);
    assert.equal(report.totals.copied, 1);
    await assertDigests(dest.host, { 'fast/bw/app:v1': (await store.image('bw/app', 'v1')).top.digest });
  });

  test('a bare number is refused (an invalid config, exit 1) with a hint to give a unit; nothing is copied', async () => {
    const held = await contents(dest.url);
    for (const value of ['1024', '"2048"']) {
      const { run } = await syncWithReport(work, `bare-${value.length}`, ['--config', await file(work, `bare-${value.length}.yaml`, config(value, 'bare'))]);
      assert.equal(run.code, 1, explain(run));
      const number = value.replace(/"/g, '');
      assert.match(run.stderr, new RegExp(`bare-\\d\\.yaml:9: .*bandwidth: ${number} has no unit; write e\\.g\\. ${number}Kbit/s \\(Harbor's bandwidth is in Kbps\\), ${number}KiB/s or ${number}MB/s, or -1 for no limit`));
    }
    assert.deepEqual(await contents(dest.url), held);
  });
});
