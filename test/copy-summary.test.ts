import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * The summary line of `ferry copy` uses the destination's words: blobs are
 * "written" to a directory, OCI layout or archive and "uploaded" to a
 * registry (where "mounted" also means something). skopeo reads every copy.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const store = syntheticStore([{ name: 'summary/app', tag: 'v1', layers: [8192, 4096] }]);

describe('copy summary', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let expected: string;
  const source = (): string => `docker://${registry.host}/summary/app:v1`;

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-copy-summary')]);
    await seedRegistry(registry.host, store.repository('summary/app'), ['v1']);
    await writeOciLayout(store.repository('summary/app'), join(work, 'seed-layout'), ['v1']);
    expected = (await store.image('summary/app', 'v1')).top.digest;
  });

  after(async () => {
    await registry?.stop();
    if (work) await removeTempDir(work);
  });

  test('local destinations: "3 blobs written", no "uploaded" or "mounted"', async () => {
    for (const [destination, check] of [
      [`dir:${join(work, 'dir')}`, `dir:${join(work, 'dir')}`],
      [`oci:${join(work, 'layout')}:app`, `oci:${join(work, 'layout')}:app`],
      [`oci-archive:${join(work, 'app.tar')}`, `oci-archive:${join(work, 'app.tar')}`],
    ] as const) {
      const run = await runFerry(['copy', '--src-tls-verify=false', source(), destination]);
      assert.equal(run.code, 0, explain(run));
      const summary = run.stderr.split('\n').find((l) => l.startsWith('Copied '));
      assert.match(summary ?? '', /: 3 blobs written \([\d.]+ KiB\), 0 already present$/, `${destination}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /uploaded|mounted/, destination);
      assert.equal(await skopeoInspectDigest(check), expected, destination);
    }
  });

  test('a registry destination: uploaded, mounted and already present', async () => {
    const upload = await runFerry(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `oci:${join(work, 'seed-layout')}:v1`, `docker://${registry.host}/summary/uploaded:v1`]);
    assert.equal(upload.code, 0, explain(upload));
    assert.match(upload.stderr, /: 3 blobs uploaded \([\d.]+ KiB\), 0 mounted, 0 already present\n/);
    const mount = await runFerry(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', source(), `docker://${registry.host}/summary/mounted:v1`]);
    assert.equal(mount.code, 0, explain(mount));
    assert.match(mount.stderr, /: 0 blobs uploaded \(0 B\), 3 mounted, 0 already present\n/);
    for (const repo of ['uploaded', 'mounted']) assert.equal(await skopeoInspectDigest(`docker://${registry.host}/summary/${repo}:v1`, { tlsVerify: false }), expected);
  });
});
