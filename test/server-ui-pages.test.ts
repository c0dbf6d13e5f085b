import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Digest } from '../src/oci/digest.ts';
import { readBundleHistory, BUNDLE_HISTORY_FILE } from '../src/mirror/bundle/bundle-history.ts';
import type { RegistryBackend } from '../src/server/backend/registry-backend.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { descriptorOf, makeImage } from './fixtures/layout-image.ts';
import { memoryBackend } from './fixtures/memory-backend.ts';
import { seedStore, sharedSpecs } from './fixtures/mirror.ts';
import { call, pushImage } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';
import { buildUiStore } from './fixtures/ui-store.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startServeProcess } from './helpers/ferry-serve.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The web UI's pages over HTTP, without a browser: the `--ui` and
 * `--read-only` flags of the real `bin/ferry serve`, the bundle-import record
 * written by `ferry bundle import` and shown on the Bundles page, escaping of
 * hostile store content, a backend without the optional listing families,
 * and a home page that answers while sizes are still being counted (a slow
 * backend is a stand-in here: a real store cannot be made slow on demand).
 */

async function page(url: string, init: RequestInit = {}): Promise<{ status: number; text: string; headers: Headers }> {
  const res = await fetch(url, init);
  return { status: res.status, text: await res.text(), headers: res.headers };
}

test('bin/ferry serve: the UI is on by default, --ui=false turns it off, --read-only offers nothing that writes', async (t) => {
  const root = await tempDir('ui-flags', t);
  await seedStore(join(root, 'store'), sharedSpecs());
  const create = await runFerry(['bundle', 'create', join(root, 'store'), join(root, 'bundle')]);
  assert.equal(create.code, 0, explain(create));
  const imported = await runFerry(['bundle', 'import', join(root, 'bundle'), join(root, 'served')]);
  assert.equal(imported.code, 0, explain(imported));

  const off = await startServeProcess(t, ['--storage', join(root, 'served'), '--ui=false']);
  const none = await call(off.url, 'GET', '/');
  assert.equal(none.status, 404);
  assert.equal(none.code, 'NOT_FOUND', 'the API answers, as before the UI existed');
  assert.equal((await call(off.url, 'GET', '/v2/team/app/tags/list')).status, 200);
  await off.stop();

  const on = await startServeProcess(t, ['--storage', join(root, 'served'), '--read-only']);
  const home = await page(`${on.url}/`);
  assert.equal(home.status, 200);
  assert.match(home.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(home.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.match(home.text, /read-only/);
  for (const path of ['/', '/repo/team/app', '/bundles']) {
    const { text } = await page(`${on.url}${path}`);
    assert.doesNotMatch(text, /<form[^>]*method="post"/i, `${path} has no form that writes`);
    assert.doesNotMatch(text, /delete/i, `${path} offers no deletion`);
  }
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const refused = await page(`${on.url}/repo/team/app`, { method });
    assert.equal(refused.status, 405, method);
    assert.equal(refused.headers.get('allow'), 'GET, HEAD');
  }

  // The Bundles page reads the record `ferry bundle import` wrote into the store.
  const history = await readBundleHistory(await openLayoutStore(join(root, 'served'), { create: false }));
  assert.equal(history.length, 1);
  const record = history[0]!;
  assert.equal(record.from, join(root, 'bundle'));
  assert.equal(record.images, 3);
  assert.deepEqual(record.arrived?.listed.map((a) => a.name).sort(), ['team/app:1', 'team/app:2', 'team/tool:1']);
  assert.match(imported.stdout + imported.stderr, new RegExp(`${record.blobs?.written} blobs stored`));
  const bundles = await page(`${on.url}/bundles`);
  assert.ok(bundles.text.includes(record.id), 'the bundle is named');
  assert.match(bundles.text, /3 images/);
  assert.match(bundles.text, /href="\/image\/team\/tool@sha256:[0-9a-f]{64}"/);
  assert.ok(home.text.includes(record.id.slice(0, 13)), 'home names the last bundle');
});

test('the bundle-import record: one per bundle, validated on read, replaced atomically', async (t) => {
  const root = await tempDir('ui-record', t);
  const store = await seedStore(join(root, 'store'), sharedSpecs());
  assert.equal((await runFerry(['bundle', 'create', store.dir, join(root, 'b1')])).code, 0);
  for (let i = 0; i < 2; i++) assert.equal((await runFerry(['bundle', 'import', join(root, 'b1'), join(root, 'served')])).code, 0);
  const served = await openLayoutStore(join(root, 'served'), { create: false });
  const history = await readBundleHistory(served);
  assert.equal(history.length, 1, 'importing the same bundle again keeps its first record');
  assert.equal(history[0]!.arrived?.count, 3);
  assert.deepEqual((await readdir(served.dir)).filter((f) => /\.ferry-tmp-/.test(f)), [], 'no temp file left');

  await writeFile(join(served.dir, BUNDLE_HISTORY_FILE), JSON.stringify({ bundles: [{ id: 'x', created: 'c', imported: 'i', arrived: { count: -1, listed: [] } }] }));
  await assert.rejects(readBundleHistory(served), (error: Error & { code?: string }) => error.code === 'CORRUPT' && error.message.includes(BUNDLE_HISTORY_FILE) && /arrived\.count/.test(error.message));
  const server = await startTestServer(t, { storage: served.dir, imports: { list: () => readBundleHistory(served) } });
  const broken = await page(`${server.url}/bundles`);
  assert.equal(broken.status, 500);
  assert.doesNotMatch(broken.text, /at \w+ \(/, 'no stack trace');
  assert.ok(server.events.some((e) => e.type === 'error' && e.message.includes(BUNDLE_HISTORY_FILE)), 'the log names the file');
});

test('store content is escaped wherever a page shows it', async (t) => {
  const root = await tempDir('ui-escape', t);
  const hostile = '<script>alert(1)</script>';
  await seedStore(join(root, 'store'), [{ name: 'evil/app', tag: '1', layers: [12 * 1024], labels: { [hostile]: `"><img src=x onerror=alert(2)>` }, env: [`X=${hostile}`] }]);
  const server = await startTestServer(t, { storage: join(root, 'store') });
  const repo = await page(`${server.url}/repo/evil/app`);
  const link = /href="(\/image\/evil\/app@sha256:[0-9a-f]{64})"/.exec(repo.text)![1]!;
  const image = await page(`${server.url}${link}`);
  assert.equal(image.status, 200);
  for (const text of [image.text, (await page(`${server.url}/?q=${encodeURIComponent(hostile)}`)).text]) {
    assert.doesNotMatch(text, /<script>alert/);
    assert.doesNotMatch(text, /<img src=x/);
  }
  assert.ok(image.text.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(image.text.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
});

test('a backend with only the core verbs is browsed too (no listing, no import record)', async (t) => {
  const server = await startTestServer(t, { backend: memoryBackend() });
  const image = await makeImage({ seed: 'ui-memory', layers: 2, layerBytes: 5000 });
  await pushImage(server.url, 'ns/app', 'v1', image);
  const sbom = await makeImage({ seed: 'ui-memory-sbom', subject: descriptorOf(image.manifest), artifactType: 'application/spdx+json' });
  await pushImage(server.url, 'ns/app', sbom.manifest.digest, sbom);
  // The repository holds the image and, untagged, the SBOM that refers to it: every blob counted once.
  const blobs = new Map<string, number>();
  for (const i of [image, sbom]) {
    blobs.set(i.manifest.digest, i.manifest.bytes.byteLength);
    for (const b of i.blobs) blobs.set(b.descriptor.digest, b.descriptor.size);
  }
  const total = [...blobs.values()].reduce((a, b) => a + b, 0);

  let home = await page(`${server.url}/`);
  for (let i = 0; i < 50 && home.text.includes('data-pending'); i++) home = await page(`${server.url}/`);
  assert.match(home.text, /<a href="\/repo\/ns\/app">ns\/app<\/a>/);
  assert.ok(home.text.includes(`title="${total.toLocaleString('en-US')} bytes"`), 'the size counts the manifest, config and layers');
  assert.match(home.text, /not recorded/);
  const repo = await page(`${server.url}/repo/ns/app`);
  assert.ok(repo.text.includes(`title="${image.manifest.digest}"`));
  assert.match(repo.text, />SBOM</, 'the referrer, found through the referrers API');
  assert.match((await page(`${server.url}/bundles`)).text, /keeps no record of bundle imports/);
});

test('the home page answers while sizes are still being counted, and a push shows at once', async (t) => {
  const inner = memoryBackend();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  // Manifest reads wait for the gate: the store is "slow".
  const slow: RegistryBackend = { ...inner, manifests: { ...inner.manifests, get: async (...args) => (await gate, inner.manifests.get(...args)) } };
  const server = await startTestServer(t, { backend: slow });
  const image = await makeImage({ seed: 'ui-slow' });
  await pushImage(server.url, 'slow/app', 'v1', image);

  const counting = await page(`${server.url}/`);
  assert.equal(counting.status, 200, 'answered without the sizes');
  assert.match(counting.text, /data-pending/);
  assert.match(counting.text, /counting…/);
  assert.match(counting.text, /<a href="\/repo\/slow\/app">slow\/app<\/a>/, 'names and tag counts do not wait');
  release();
  let counted = await page(`${server.url}/`);
  for (let i = 0; i < 50 && counted.text.includes('data-pending'); i++) counted = await page(`${server.url}/`);
  assert.doesNotMatch(counted.text, /data-pending/, 'once the reads finish, the sizes are there');

  const second = await makeImage({ seed: 'ui-slow-2' });
  await pushImage(server.url, 'slow/app', 'v2', second);
  const after = await page(`${server.url}/`);
  assert.match(after.text, /<dt>Tags<\/dt><dd>2<\/dd>/, 'a new generation of the store, seen on the next request');
  const digests = [image, second].map((i) => i.manifest.digest as Digest);
  const repo = await page(`${server.url}/repo/slow/app`);
  for (const d of digests) assert.ok(repo.text.includes(d), d);
});

test('a signature verifier given to the server turns "present" into "verified" or "not verified"', async (t) => {
  const asked: string[] = [];
  const server = await startTestServer(t, {
    backend: memoryBackend(),
    signatureVerifier: async (image) => {
      asked.push(`${image.repository}:${image.tag ?? ''}`);
      return image.tag === 'good' ? { verified: true, reason: 'signed by the release key' } : { verified: false, reason: 'no signature matches the policy' };
    },
  });
  for (const tag of ['good', 'bad', 'unsigned']) {
    const image = await makeImage({ seed: `ui-verify-${tag}` });
    await pushImage(server.url, 'ns/app', tag, image);
    if (tag === 'unsigned') continue;
    const sig = await makeImage({ seed: `ui-verify-${tag}-sig`, subject: descriptorOf(image.manifest), artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json' });
    await pushImage(server.url, 'ns/app', sig.manifest.digest, sig);
  }
  const repo = (await page(`${server.url}/repo/ns/app?sort=name`)).text;
  const rows = repo.split('<tr>').slice(2);
  assert.match(rows[1]!, /title="signed by the release key">verified</);
  assert.match(rows[0]!, /title="no signature matches the policy">not verified</);
  assert.doesNotMatch(rows[2]!, /verified/);
  assert.deepEqual(asked.sort(), ['ns/app:bad', 'ns/app:good'], 'only signed images are judged');
});

test('bin/ferry serve --policy FILE: the UI says whether the policy accepts each signed image', async (t) => {
  const root = await tempDir('ui-policy', t);
  const store = await buildUiStore(join(root, 'store'));
  const verdicts: string[] = [];
  for (const [name, policy] of [['reject', { default: [{ type: 'reject' }] }], ['accept', { default: [{ type: 'insecureAcceptAnything' }] }]] as const) {
    await writeFile(join(root, `${name}.json`), JSON.stringify(policy));
    const server = await startServeProcess(t, ['--storage', store.dir, '--policy', join(root, `${name}.json`)]);
    const row = (await page(`${server.url}/repo/team/app`)).text.split('<tr>').find((r) => r.includes('>2.0.1</a>'))!;
    verdicts.push(/>(verified|not verified)</.exec(row)?.[1] ?? 'none');
    const unsigned = (await page(`${server.url}/repo/team/app`)).text.split('<tr>').find((r) => r.includes('>1.9.0</a>'))!;
    assert.doesNotMatch(unsigned, /verified/, 'an unsigned image is not judged');
    await server.stop();
  }
  assert.deepEqual(verdicts, ['not verified', 'verified']);
});
