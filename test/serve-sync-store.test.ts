import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { startTestServer } from './fixtures/server.ts';
import { image, seedAll } from './fixtures/sync.ts';

/**
 * Issue 4's "no conversion step": a store written by `ferry sync --dest oci`
 * is served as is by `ferry serve`, and skopeo pulls every image back with
 * the digests the source registry had.
 */
const base = [{ size: 64 * 1024, seed: 'serve-store-base' }];
const SPECS = [
  image('team/api', '1.0', { sharedLayers: base }),
  image('team/api', '1.1', { sharedLayers: base }),
  image('team/web', '2.0', { sharedLayers: base, platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] }),
];
const store = syntheticStore(SPECS);
let source: RunningRegistry;
let work: string;

before(async () => {
  if (requirePeer('docker-registry', 'skopeo') !== false) return;
  source = await startRegistry();
  work = await tempDir('ferry-serve-store');
  await seedAll(store, source.host, SPECS);
});

after(async () => {
  await source?.stop();
  if (work) await removeTempDir(work);
});

test('a store written by sync --dest oci is served by ferry serve and pulled by skopeo with identical digests', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const layout = join(work, 'store');
  for (const repo of ['team/api', 'team/web']) {
    const run = await runFerry(['sync', '--src', 'docker', '--dest', 'oci', '--all', '--src-tls-verify=false', `${source.host}/${repo}`, layout]);
    assert.equal(run.code, 0, explain(run));
  }
  const server = await startTestServer(t, { storage: layout, readOnly: true });
  // skopeo's naming for --dest oci: the last path element of the source repository.
  for (const [served, spec] of [['api:1.0', SPECS[0]!], ['api:1.1', SPECS[1]!], ['web:2.0', SPECS[2]!]] as const) {
    const expected = (await store.image(spec.name, spec.tag)).top.digest;
    assert.equal(await skopeoInspectDigest(`docker://${server.host}/${served}`, { tlsVerify: false }), expected, served);
  }
  // A full pull of the multi-platform image, every instance.
  await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', `docker://${server.host}/web:2.0`, `dir:${join(work, 'pulled')}`]);
});
