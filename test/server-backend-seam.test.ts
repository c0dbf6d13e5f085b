import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { copyImage } from '../src/copy/copy-image.ts';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { RegistryPool } from '../src/transports/registry/registry-pool.ts';
import { RegistryRepository } from '../src/transports/registry/registry-repository.ts';
import type { Repository } from '../src/repository/repository.ts';
import { descriptorOf, makeImage, makeIndex } from './fixtures/layout-image.ts';
import { memoryBackend } from './fixtures/memory-backend.ts';
import { call, pushBlob, pushImage, pushManifest } from './fixtures/server-client.ts';
import { layoutWithImage, startTestServer } from './fixtures/server.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The storage seam of `ferry serve` (issue 10): the HTTP handlers talk to a
 * RegistryBackend only, so a second backend runs the same server unchanged.
 * The second backend here is an in-memory one written for the tests against
 * the interface alone; skopeo and ferry's own client judge the result.
 */

const SERVER_DIR = fileURLToPath(new URL('../src/server/', import.meta.url));

test('the HTTP layer and the web UI never import the layout store: only the backend interface', async () => {
  const ui = (await readdir(join(SERVER_DIR, 'ui'), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => `ui/${f}`);
  assert.ok(ui.length > 10, 'the UI files are checked');
  const files = ['handler.ts', 'http-util.ts', ...(await readdir(join(SERVER_DIR, 'handlers'))).map((f) => `handlers/${f}`), ...(await readdir(join(SERVER_DIR, 'uploads'))).map((f) => `uploads/${f}`), ...ui];
  for (const file of files) {
    const source = await readFile(join(SERVER_DIR, file), 'utf8');
    for (const [, path] of source.matchAll(/^import[^'"]*['"]([^'"]+)['"]/gm)) {
      // The distribution grammar (names, tags) lives beside the layout store but is no part of it.
      const allowed = !/backend\/layout\/|transports\/layout\//.test(path!) || path!.endsWith('layout-names.ts');
      assert.ok(allowed, `src/server/${file} imports ${path}`);
    }
  }
});

function target(repository: Repository, reference: string) {
  return { repository, reference, display: `${repository.display}:${reference}` };
}

test("ferry's client pushes and pulls a multi-arch image through a second backend", async (t) => {
  const server = await startTestServer(t, { backend: memoryBackend(), enableDelete: true });
  const multi = await makeIndex('seam', ['amd64', 'arm64']);
  const src = layoutRepository(await layoutWithImage(await tempDir('seam-src', t), 'x', 'unused', ...multi.images), 'x');
  await src.manifestPut('multi', multi.index);
  const pool = new RegistryPool();
  t.after(() => pool.close());
  const client = await pool.client(server.host, { tlsVerify: false, noCreds: true });
  const remote = new RegistryRepository(client, 'ns/app', { ownsClient: false });
  assert.equal((await copyImage({ source: target(src, 'multi'), destination: target(remote, 'v1'), instances: { mode: 'all' } })).digest, multi.index.digest);
  const back = layoutRepository(await openLayoutStore(await tempDir('seam-back', t), { create: true }), 'ns/app');
  assert.equal((await copyImage({ source: target(remote, 'v1'), destination: target(back, 'v1'), instances: { mode: 'all' } })).digest, multi.index.digest);
  assert.deepEqual(await remote.tagList(), ['v1']);

  // The rest of the API over the same backend: catalog, referrers, a refused size lie, deletes.
  assert.deepEqual(JSON.parse((await call(server.url, 'GET', '/v2/_catalog')).body.toString()).repositories, ['ns/app']);
  const child = multi.images[0]!;
  const sbom = await makeImage({ seed: 'seam-sbom', subject: descriptorOf(child.manifest), artifactType: 'application/vnd.example.sbom' });
  await pushImage(server.url, 'ns/app', sbom.manifest.digest, sbom);
  const referrers = JSON.parse((await call(server.url, 'GET', `/v2/ns/app/referrers/${child.manifest.digest}`)).body.toString()) as { manifests: { digest: string }[] };
  assert.deepEqual(referrers.manifests.map((m) => m.digest), [sbom.manifest.digest]);
  const layer = child.blobs[1]!.descriptor.digest;
  assert.equal((await call(server.url, 'DELETE', `/v2/ns/app/blobs/${layer}`)).status, 405, 'in use');
  assert.equal((await call(server.url, 'GET', '/v2/ns/app/manifests/.INVALID_MANIFEST_NAME')).code, 'MANIFEST_UNKNOWN');
  // Blobs are per repository in this backend: a mount is not offered, the client uploads instead.
  const mount = await call(server.url, 'POST', `/v2/ns/other/blobs/uploads/?mount=${layer}&from=ns/app`);
  assert.equal(mount.status, 202);
  await pushBlob(server.url, 'ns/other', layer, child.blobs[1]!.bytes);
  assert.equal((await call(server.url, 'DELETE', '/v2/ns/app/manifests/v1')).status, 202);
  assert.equal((await pushManifest(server.url, 'ns/app', 'v2', multi.index)).status, 201);
});

test('skopeo pushes and pulls through a second backend', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startTestServer(t, { backend: memoryBackend() });
  const src = await tempDir('seam-skopeo', t);
  const image = await makeImage({ seed: 'seam-skopeo', layers: 2, layerBytes: 30_000 });
  await layoutWithImage(src, 'x', '1', image);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${server.host}/ns/app:1`, [], { dest: { tlsVerify: false } });
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/app:1`, { tlsVerify: false }), image.manifest.digest);
  const out = await tempDir('seam-skopeo-out', t);
  await skopeoCopy(`docker://${server.host}/ns/app:1`, `oci:${out}:y`, [], { src: { tlsVerify: false } });
  assert.equal(await skopeoInspectDigest(`oci:${out}:y`), image.manifest.digest);
});
