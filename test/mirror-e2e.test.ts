import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { readBundleManifest } from '../src/mirror/bundle/bundle-format.ts';
import { walkStore } from '../src/transports/layout/layout-graph.ts';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { trackChild } from './helpers/cleanup.ts';
import { FERRY_BIN, explain, isolatedHome, runFerry } from './helpers/ferry-cli.ts';
import { startProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { listFiles, treeBytes } from './fixtures/mirror.ts';

/**
 * Both sides of a simulated air gap, with real registries and skopeo as the
 * judge: mirror to disk (killed midway and resumed), bundle, verify, carry,
 * import and push inside, cluster resources, an incremental bundle, repair
 * from the source, and mirror to mirror.
 */

const BASE = [{ size: 256 * 1024, seed: 'e2e-base' }];
const SPECS: SyntheticImageSpec[] = [
  { name: 'team/app', tag: '1', layers: [48 * 1024], sharedLayers: BASE },
  { name: 'team/app', tag: '2', layers: [40 * 1024], sharedLayers: BASE },
  {
    name: 'team/tool', tag: '1', layers: [32 * 1024], sharedLayers: BASE,
    platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  },
  { name: 'solo/thing', tag: 'v1', layers: [64 * 1024, 16 * 1024] },
];
const ADDED: SyntheticImageSpec = { name: 'team/app', tag: '3', layers: [36 * 1024], sharedLayers: BASE };

/** Bytes of distinct content (manifests and blobs) of a set of images. */
async function uniqueBytes(images: Array<{ manifests: Array<{ digest: string; bytes: Uint8Array }>; blobs: Map<string, { kind: string; bytes?: Buffer; layer?: { size: number } }> }>): Promise<number> {
  const sizes = new Map<string, number>();
  for (const image of images) {
    for (const m of image.manifests) sizes.set(m.digest, m.bytes.byteLength);
    for (const [digest, blob] of image.blobs) sizes.set(digest, blob.kind === 'config' ? blob.bytes!.length : blob.layer!.size);
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

test('air gap: mirror to disk (killed and resumed), bundle, verify, import, push, cluster resources, incremental, repair, mirror to mirror', { skip: requirePeer('docker-registry', 'skopeo'), timeout: 240_000 }, async (t) => {
  const source = await startRegistry({ t });
  const proxy = await startProxy({ upstream: source.url });
  t.after(() => proxy.stop());
  const inside = await startRegistry({ t });
  const root = await tempDir('mirror-e2e', t);

  const synthetic = syntheticStore([...SPECS, ADDED]);
  for (const name of ['team/app', 'team/tool', 'solo/thing']) {
    const tags = SPECS.filter((s) => s.name === name).map((s) => s.tag);
    await seedRegistry(source.host, synthetic.repository(name), tags);
  }
  const built = await Promise.all(SPECS.map((s) => synthetic.image(s.name, s.tag)));
  const app1 = built[0]!.top.digest;
  // A cosign-style signature of team/app:1, stored as the tag cosign uses.
  const sigSpec: SyntheticImageSpec = { name: 'team/app', tag: `sha256-${app1.slice(7)}.sig`, layers: [4 * 1024], seed: 'signature' };
  const sigStore = syntheticStore([sigSpec]);
  await seedRegistry(source.host, sigStore.repository('team/app'), [sigSpec.tag]);
  const sigImage = await sigStore.image('team/app', sigSpec.tag);
  const unique = await uniqueBytes([...built, sigImage]);

  // skopeo's sync YAML names the registry as seen through the counting proxy; the signature is not listed: ferry finds it.
  const config = join(root, 'mirror.yaml');
  const writeConfig = (appTags: string) => writeFile(config, `${proxy.host}:\n  tls-verify: false\n  images:\n    solo/thing: ["v1"]\n    team/app: [${appTags}]\n    team/tool: ["1"]\n`);
  await writeConfig('"1", "2"');
  const dir = join(root, 'connected');
  const store = join(dir, 'store');
  const args = ['mirror', '--config', config, '--to-dir', dir, '--max-size', '160KiB', '--jobs', '2'];

  // --- Run 1, killed with SIGKILL while the shared base layer is held back by the proxy.
  const baseDigest = built[0]!.images[0]!.layers[0]!.digest;
  proxy.addFault({ type: 'delay', ms: 10_000, match: { method: 'GET', kind: 'blob', path: baseDigest }, times: Infinity });
  const child = spawn(FERRY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: await isolatedHome() } });
  trackChild(child);
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const solo = `solo/thing:v1`;
  let ready = false;
  for (let i = 0; i < 300 && !ready && child.exitCode === null; i++) {
    await sleep(100);
    const index = await readFile(join(store, 'index.json'), 'utf8').catch(() => '');
    ready = index.includes(solo);
  }
  assert.ok(ready, `the first run stored ${solo} before the kill; stderr: ${stderr}`);
  child.kill('SIGKILL');
  await once(child, 'close');
  assert.equal(child.signalCode, 'SIGKILL');
  const storedBefore = new Set<string>(await (await openLayoutStore(store, { create: false })).listBlobs());
  assert.ok(!storedBefore.has(baseDigest), 'the base layer was still in flight');
  assert.ok(storedBefore.size >= 3, `some blobs were stored before the kill (${storedBefore.size})`);
  await assert.rejects(readFile(join(dir, 'bundle', 'bundle.json')), 'no finished bundle from the killed run');

  // --- Run 2 completes without downloading anything already stored.
  proxy.reset();
  const run2 = await runFerry(args);
  assert.equal(run2.code, 0, explain(run2));
  const downloaded = proxy.stats.log.filter((e) => e.method === 'GET' && e.kind === 'blob').map((e) => e.path.split('/').pop()!.split('?')[0]!);
  const again = downloaded.filter((d) => storedBefore.has(d));
  assert.deepEqual(again, [], 'no stored blob was downloaded again');
  assert.equal(new Set(downloaded).size, downloaded.length, 'each blob downloaded at most once');
  assert.deepEqual(await listFiles(join(store, '.ferry-tmp')), [], 'no temp files in the store');

  // Deduplicated: the store is the unique content plus index.json and oci-layout.
  const onDisk = await treeBytes(store);
  assert.ok(onDisk >= unique && onDisk <= unique * 1.1, `store holds ${onDisk} bytes for ${unique} unique bytes`);
  const layout = await openLayoutStore(store, { create: false });
  const names = (await layout.listEntries()).map((e) => e.annotations?.['org.opencontainers.image.ref.name']).sort();
  assert.deepEqual(names, ['solo/thing:v1', 'team/app:1', 'team/app:2', `team/app:${sigSpec.tag}`, 'team/tool:1'].sort());
  assert.ok((await layout.listEntries()).every((e) => e.annotations?.['io.ferry.source']?.startsWith(`${proxy.host}/`)));

  // --- The bundle: several parts, intact.
  const bundleDir = join(dir, 'bundle');
  const m1 = await readBundleManifest(bundleDir);
  assert.ok(m1.parts.length >= 3, `several parts (${m1.parts.length})`);
  assert.deepEqual(await listFiles(bundleDir), ['bundle.json', ...m1.parts.map((p) => p.name)].sort(), 'no temp files beside the parts');
  const verify = await runFerry(['bundle', 'verify', bundleDir]);
  assert.equal(verify.code, 0, explain(verify));

  // --- Across the gap: only the bundle travels.
  const media = join(root, 'media', 'bundle-1');
  await cp(bundleDir, media, { recursive: true });
  const site = join(root, 'site');
  const manifestsDir = join(root, 'manifests');
  const push = await runFerry(['mirror', '--from-bundle', media, '--from-dir', site, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false', '--manifests-to-dir', manifestsDir]);
  assert.equal(push.code, 0, explain(push));
  assert.match(push.stdout, new RegExp(`^kubectl apply -Rf ${manifestsDir}$`, 'm'));
  const expected: Array<[string, string]> = [
    ...SPECS.map((s, i): [string, string] => [`${s.name}:${s.tag}`, built[i]!.top.digest]),
    [`team/app:${sigSpec.tag}`, sigImage.top.digest],
  ];
  for (const [ref, digest] of expected) {
    assert.equal(await skopeoInspectDigest(`docker://${inside.host}/mirror/${ref}`, { tlsVerify: false }), digest, ref);
  }
  const arm = built[2]!.manifests[2]!.digest;
  assert.equal(await skopeoInspectDigest(`docker://${inside.host}/mirror/team/tool@${arm}`, { tlsVerify: false }), arm, 'every platform pushed');

  // Cluster resources: each source repository maps to its mirror.
  const resources = join(site, 'cluster-resources');
  const idms = parse(await readFile(join(resources, 'imagedigestmirrorset.yaml'), 'utf8'));
  const itms = parse(await readFile(join(resources, 'imagetagmirrorset.yaml'), 'utf8'));
  const mirrors = ['solo/thing', 'team/app', 'team/tool'].map((r) => ({ source: `${proxy.host}/${r}`, mirrors: [`${inside.host}/mirror/${r}`] }));
  assert.equal(idms.kind, 'ImageDigestMirrorSet');
  assert.deepEqual(idms.spec.imageDigestMirrors, mirrors);
  assert.equal(itms.kind, 'ImageTagMirrorSet');
  assert.deepEqual(itms.spec.imageTagMirrors, mirrors);
  const conf = await readFile(join(resources, 'registries.conf'), 'utf8');
  for (const m of mirrors) {
    assert.ok(conf.includes(`[[registry]]\nprefix = "${m.source}"\nlocation = "${m.source}"\nmirror-by-digest-only = false\n\n[[registry.mirror]]\nlocation = "${m.mirrors[0]}"\ninsecure = true\n`), conf);
  }
  assert.deepEqual(await listFiles(manifestsDir), ['imagedigestmirrorset.yaml', 'imagetagmirrorset.yaml']);

  // --- An incremental bundle after adding a tag carries only the new image.
  await seedRegistry(source.host, synthetic.repository('team/app'), ['3']);
  await writeConfig('"1", "2", "3"');
  const run3 = await runFerry([...args, '--since', media]);
  assert.equal(run3.code, 0, explain(run3));
  const m2 = await readBundleManifest(bundleDir);
  const added = await synthetic.image('team/app', '3');
  const newBlobs = new Set([added.top.digest, added.images[0]!.config.digest, added.images[0]!.layers[1]!.digest]);
  assert.equal(m2.extends, m1.id);
  assert.deepEqual(new Set(m2.blobs.map((b) => b.digest)), newBlobs, 'only the new manifest, config and layer');
  const fresh = await runFerry(['bundle', 'import', bundleDir, join(root, 'fresh')]);
  assert.equal(fresh.code, 1, explain(fresh));
  assert.match(fresh.stderr, new RegExp(`it extends bundle ${m1.id}, which has not been imported`));
  const push2 = await runFerry(['mirror', '--from-bundle', bundleDir, '--from-dir', site, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false']);
  assert.equal(push2.code, 0, explain(push2));
  assert.match(push2.stderr, /Pushed 6 images .*: 1 copied, 5 already there, 0 failed/);
  assert.equal(await skopeoInspectDigest(`docker://${inside.host}/mirror/team/app:3`, { tlsVerify: false }), added.top.digest);

  // --- Repair on the connected side: a corrupt layer and a missing platform manifest come back from the source.
  const graph = await walkStore(layout);
  const ownLayer = [...graph.nodes.values()].find((n) => n.role === 'layer' && n.images.size === 1)!;
  const blob = await readFile(layout.blobPath(ownLayer.digest));
  blob[10] = blob[10]! ^ 0x55;
  await writeFile(layout.blobPath(ownLayer.digest), blob);
  await rm(layout.blobPath(arm as never));
  const broken = await runFerry(['verify', store]);
  assert.equal(broken.code, 1, explain(broken));
  assert.match(broken.stdout, new RegExp(`corrupt ${ownLayer.digest}`));
  assert.match(broken.stdout, new RegExp(`missing ${arm} \\(manifest\\).*affects team/tool:1`));
  const repaired = await runFerry(['verify', store, '--repair', '--src-tls-verify=false']);
  assert.equal(repaired.code, 0, explain(repaired));
  assert.match(repaired.stderr, new RegExp(`repaired ${ownLayer.digest} from ${proxy.host}/`));
  assert.equal((await runFerry(['verify', store])).code, 0);

  // --- Mirror to mirror from ferry YAML (no to: needed), flattened.
  const ferryConfig = join(root, 'ferry.yaml');
  await writeFile(ferryConfig, `registries:\n  ${proxy.host}:\n    tls-verify: false\nsync:\n  - from: ${proxy.host}/team/tool\n    tags: ["1"]\n`);
  const direct = join(root, 'direct-resources');
  const m2m = await runFerry(['mirror', '--config', ferryConfig, '--to', `docker://${inside.host}/direct`, '--flatten=-1', '--dest-tls-verify=false', '--resources-dir', direct]);
  assert.equal(m2m.code, 0, explain(m2m));
  assert.equal(await skopeoInspectDigest(`docker://${inside.host}/direct/tool:1`, { tlsVerify: false }), built[2]!.top.digest);
  const directIdms = parse(await readFile(join(direct, 'imagedigestmirrorset.yaml'), 'utf8'));
  assert.deepEqual(directIdms.spec.imageDigestMirrors, [{ source: `${proxy.host}/team/tool`, mirrors: [`${inside.host}/direct/tool`] }]);
});
