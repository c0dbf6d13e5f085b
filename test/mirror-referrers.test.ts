import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { copyImage } from '../src/copy/copy-image.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { openImage } from '../src/transports/open-image.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';
import { startTestServer } from './fixtures/server.ts';
import { addReferrer } from './fixtures/mirror.ts';


async function referrersOf(host: string, repository: string, digest: string): Promise<string[]> {
  const res = await request(`http://${host}/v2/${repository}/referrers/${digest}`);
  assert.equal(res.statusCode, 200);
  const index = (await res.body.json()) as { manifests: Array<{ digest: string }> };
  return index.manifests.map((m) => m.digest);
}

test('referrers the source lists through the OCI referrers API are mirrored to disk and pushed inside', async (t) => {
  const work = await tempDir('ferry-mirror-referrers', t);
  // The source: ferry serve over a store holding an image and a signature that refers to it (no fallback tag).
  const sourceStorage = join(work, 'source');
  const images = syntheticStore([{ name: 'team/app', tag: '1.0', layers: [4096] }]);
  const seeded = await copyImage({
    source: { repository: images.repository('team/app'), reference: '1.0', display: 'synthetic' },
    destination: await openImage(`oci:${sourceStorage}:team/app:1.0`, { role: 'destination' }),
    instances: { mode: 'all' },
  });
  const subject = { mediaType: seeded.mediaType, digest: seeded.digest, size: (await images.image('team/app', '1.0')).top.bytes.byteLength };
  const signature = (await addReferrer(await openLayoutStore(sourceStorage, { create: false }), 'team/app', subject)).digest;
  const source = await startTestServer(t, { storage: sourceStorage, readOnly: true });
  assert.deepEqual(await referrersOf(source.host, 'team/app', seeded.digest), [signature]);

  const config = join(work, 'mirror.yaml');
  await writeFile(config, `registries:\n  "${source.host}": {tls-verify: false}\nsync:\n  - from: ${source.host}/team/app\n    tags: ["1.0"]\n`);
  const dir = join(work, 'mirror');
  const toDisk = await runFerry(['mirror', '--config', config, '--to-dir', dir]);
  assert.equal(toDisk.code, 0, explain(toDisk));
  const store = await openLayoutStore(join(dir, 'store'), { create: false });
  assert.ok(await store.hasBlob(signature as `${string}:${string}`), 'the signature manifest is in the store');

  const inside = await startTestServer(t);
  const push = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false']);
  assert.equal(push.code, 0, explain(push));
  // Pushed as oc-mirror does: the source registry host dropped, the repository path kept under the prefix.
  assert.deepEqual(await referrersOf(inside.host, 'mirror/team/app', seeded.digest), [signature]);
});
