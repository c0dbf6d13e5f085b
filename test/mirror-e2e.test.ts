import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { readBundleManifest } from '../src/mirror/bundle/bundle-format.ts';
import { walkStore } from '../src/transports/layout/layout-graph.ts';
import { syntheticStore, type BuiltImage, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry, spawnFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { listFiles, treeBytes } from './fixtures/mirror.ts';

/**
 * Both sides of a simulated air gap, with real registries and skopeo as the
 * judge: mirror to disk (killed midway and resumed), bundle, verify, carry,
 * import and push inside, cluster resources, an incremental bundle, repair
 * from the source, and mirror to mirror. Each stage is its own test over its
 * own directories: the finished connected-side mirror they start from is
 * made once, in `before`, so one stage failing does not fail the others.
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
function uniqueBytes(images: BuiltImage[]): number {
  const sizes = new Map<string, number>();
  for (const image of images) {
    for (const m of image.manifests) sizes.set(m.digest, m.bytes.byteLength);
    for (const [digest, blob] of image.blobs) sizes.set(digest, blob.kind === 'config' ? blob.bytes.length : blob.layer.size);
  }
  return [...sizes.values()].reduce((a, b) => a + b, 0);
}

describe('air gap', { skip: requirePeer('docker-registry', 'skopeo') }, () => {
  let source: RunningRegistry;
  let inside: RunningRegistry;
  let proxy: RunningProxy;
  let root: string;
  let built: BuiltImage[];
  let sigTag: string;
  let sigImage: BuiltImage;
  /** The connected side after one clean `ferry mirror --to-dir` run: `store/` and `bundle/`. */
  let connected: string;
  const synthetic = syntheticStore([...SPECS, ADDED]);

  /** A skopeo sync YAML naming the registry as seen through the counting proxy; the signature is not listed: ferry finds it. */
  const mirrorConfig = async (name: string, appTags: string): Promise<string> => {
    const path = join(root, name);
    await writeFile(path, `${proxy.host}:\n  tls-verify: false\n  images:\n    solo/thing: ["v1"]\n    team/app: [${appTags}]\n    team/tool: ["1"]\n`);
    return path;
  };
  const mirrorArgs = (config: string, dir: string): string[] => ['mirror', '--config', config, '--to-dir', dir, '--max-size', '160KiB', '--jobs', '2'];
  /** Every image of the first mirror run, with the digest skopeo must see. */
  const expected = (): Array<[string, string]> => [...SPECS.map((s, i): [string, string] => [`${s.name}:${s.tag}`, built[i]!.top.digest]), [`team/app:${sigTag}`, sigImage.top.digest]];

  before(async () => {
    [source, inside, root] = await Promise.all([startRegistry(), startRegistry(), tempDir('mirror-e2e')]);
    proxy = await startProxy({ upstream: source.url });
    for (const name of ['team/app', 'team/tool', 'solo/thing']) {
      await seedRegistry(source.host, synthetic.repository(name), SPECS.filter((s) => s.name === name).map((s) => s.tag));
    }
    built = await Promise.all(SPECS.map((s) => synthetic.image(s.name, s.tag)));
    // A cosign-style signature of team/app:1, stored as the tag cosign uses.
    sigTag = `sha256-${built[0]!.top.digest.slice(7)}.sig`;
    const sigStore = syntheticStore([{ name: 'team/app', tag: sigTag, layers: [4 * 1024], seed: 'signature' }]);
    await seedRegistry(source.host, sigStore.repository('team/app'), [sigTag]);
    sigImage = await sigStore.image('team/app', sigTag);

    connected = join(root, 'connected');
    const run = await runFerry(mirrorArgs(await mirrorConfig('mirror.yaml', '"1", "2"'), connected));
    assert.equal(run.code, 0, explain(run));
  });

  after(async () => {
    await proxy?.stop();
    await Promise.all([source?.stop(), inside?.stop()]);
    if (root) await removeTempDir(root);
  });

  test('a mirror run killed while the shared base is in flight re-runs without downloading anything stored', async () => {
    const dir = join(root, 'killed');
    const store = join(dir, 'store');
    const args = mirrorArgs(await mirrorConfig('killed.yaml', '"1", "2"'), dir);
    const baseDigest = built[0]!.images[0]!.layers[0]!.digest;
    proxy.reset();
    // The base layer is held until the kill: the run stores what does not need it, then waits there.
    const held = proxy.addGate({ match: { method: 'GET', kind: 'blob', path: baseDigest } });
    const ferry = await spawnFerry(args);
    await held.reached;
    // solo/thing does not share the base: wait until the run has stored it, while the base is still held.
    await ferry.waitForStderr(/solo\/thing:v1: wrote manifest /);
    ferry.child.kill('SIGKILL');
    assert.equal((await ferry.exited).signal, 'SIGKILL');
    const storedBefore = new Set<string>(await (await openLayoutStore(store, { create: false })).listBlobs());
    assert.ok(!storedBefore.has(baseDigest), 'the base layer was still in flight');
    assert.ok(storedBefore.size >= 3, `some blobs were stored before the kill (${storedBefore.size})`);
    await assert.rejects(readFile(join(dir, 'bundle', 'bundle.json')), 'no finished bundle from the killed run');

    proxy.reset();
    const run = await runFerry(args);
    assert.equal(run.code, 0, explain(run));
    const downloaded = proxy.stats.log.filter((e) => e.method === 'GET' && e.kind === 'blob').map((e) => e.path.split('/').pop()!.split('?')[0]!);
    assert.deepEqual(downloaded.filter((d) => storedBefore.has(d)), [], 'no stored blob was downloaded again');
    assert.equal(new Set(downloaded).size, downloaded.length, 'each blob downloaded at most once');
    assert.ok(downloaded.includes(baseDigest));
    assert.deepEqual(await listFiles(join(store, '.ferry-tmp')), [], 'no temp files in the store');
  });

  test('the store holds each blob once, names every image with its source, and the bundle verifies in parts', async () => {
    const store = join(connected, 'store');
    const onDisk = await treeBytes(store);
    const unique = uniqueBytes([...built, sigImage]);
    assert.ok(onDisk >= unique && onDisk <= unique * 1.1, `store holds ${onDisk} bytes for ${unique} unique bytes`);
    const layout = await openLayoutStore(store, { create: false });
    const names = (await layout.listEntries()).map((e) => e.annotations?.['org.opencontainers.image.ref.name']).sort();
    assert.deepEqual(names, ['solo/thing:v1', 'team/app:1', 'team/app:2', `team/app:${sigTag}`, 'team/tool:1'].sort());
    assert.ok((await layout.listEntries()).every((e) => e.annotations?.['io.ferry.source']?.startsWith(`${proxy.host}/`)));

    const bundleDir = join(connected, 'bundle');
    const manifest = await readBundleManifest(bundleDir);
    assert.ok(manifest.parts.length >= 3, `several parts (${manifest.parts.length})`);
    assert.deepEqual(await listFiles(bundleDir), ['bundle.json', ...manifest.parts.map((p) => p.name)].sort(), 'no temp files beside the parts');
    const verify = await runFerry(['bundle', 'verify', bundleDir]);
    assert.equal(verify.code, 0, explain(verify));
  });

  test('across the gap only the bundle travels: import, push with digests, cluster resources', async () => {
    const media = join(root, 'media-push', 'bundle');
    await cp(join(connected, 'bundle'), media, { recursive: true });
    const site = join(root, 'site-push');
    const manifestsDir = join(root, 'manifests-push');
    const push = await runFerry(['mirror', '--from-bundle', media, '--from-dir', site, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false', '--manifests-to-dir', manifestsDir]);
    assert.equal(push.code, 0, explain(push));
    assert.match(push.stdout, new RegExp(`^kubectl apply -Rf ${manifestsDir}$`, 'm'));
    for (const [ref, digest] of expected()) {
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
    const icsp = parse(await readFile(join(resources, 'imagecontentsourcepolicy.yaml'), 'utf8'));
    assert.equal(icsp.apiVersion, 'operator.openshift.io/v1alpha1');
    assert.deepEqual(icsp.spec.repositoryDigestMirrors, mirrors);
    const conf = await readFile(join(resources, 'registries.conf'), 'utf8');
    for (const m of mirrors) {
      assert.ok(conf.includes(`[[registry]]\nprefix = "${m.source}"\nlocation = "${m.source}"\nmirror-by-digest-only = false\n\n[[registry.mirror]]\nlocation = "${m.mirrors[0]}"\ninsecure = true\n`), conf);
    }
    assert.deepEqual(await listFiles(manifestsDir), ['imagecontentsourcepolicy.yaml', 'imagedigestmirrorset.yaml', 'imagetagmirrorset.yaml']);
  });

  test('an incremental bundle after adding a tag carries only the new image and needs its predecessor', async () => {
    const dir = join(root, 'incremental');
    await cp(connected, dir, { recursive: true });
    const media = join(root, 'media-incremental', 'bundle-1');
    await cp(join(dir, 'bundle'), media, { recursive: true });
    const m1 = await readBundleManifest(media);
    const site = join(root, 'site-incremental');
    const prefix = `docker://${inside.host}/incremental`;
    const push1 = await runFerry(['mirror', '--from-bundle', media, '--from-dir', site, '--to', prefix, '--dest-tls-verify=false']);
    assert.equal(push1.code, 0, explain(push1));

    await seedRegistry(source.host, synthetic.repository('team/app'), ['3']);
    const run = await runFerry([...mirrorArgs(await mirrorConfig('incremental.yaml', '"1", "2", "3"'), dir), '--since', media]);
    assert.equal(run.code, 0, explain(run));
    const bundleDir = join(dir, 'bundle');
    const m2 = await readBundleManifest(bundleDir);
    const added = await synthetic.image('team/app', '3');
    const newBlobs = new Set([added.top.digest, added.images[0]!.config.digest, added.images[0]!.layers[1]!.digest]);
    assert.equal(m2.extends, m1.id);
    assert.deepEqual(new Set(m2.blobs.map((b) => b.digest)), newBlobs, 'only the new manifest, config and layer');
    const fresh = await runFerry(['bundle', 'import', bundleDir, join(root, 'fresh')]);
    assert.equal(fresh.code, 1, explain(fresh));
    assert.match(fresh.stderr, new RegExp(`it extends bundle ${m1.id}, which has not been imported`));
    const push2 = await runFerry(['mirror', '--from-bundle', bundleDir, '--from-dir', site, '--to', prefix, '--dest-tls-verify=false']);
    assert.equal(push2.code, 0, explain(push2));
    assert.match(push2.stderr, /Pushed 6 images .*: 1 copied, 5 already there, 0 failed/);
    assert.equal(await skopeoInspectDigest(`docker://${inside.host}/incremental/team/app:3`, { tlsVerify: false }), added.top.digest);
  });

  test('verify finds a corrupt layer and a missing platform manifest; --repair fetches both from the source', async () => {
    const store = join(root, 'repair', 'store');
    await mkdir(join(root, 'repair'), { recursive: true });
    await cp(join(connected, 'store'), store, { recursive: true });
    const layout = await openLayoutStore(store, { create: false });
    const graph = await walkStore(layout);
    const ownLayer = [...graph.nodes.values()].find((n) => n.role === 'layer' && n.images.size === 1)!;
    const blob = await readFile(layout.blobPath(ownLayer.digest));
    blob[10] = blob[10]! ^ 0x55;
    await writeFile(layout.blobPath(ownLayer.digest), blob);
    const arm = built[2]!.manifests[2]!.digest;
    await rm(layout.blobPath(arm as never));
    const broken = await runFerry(['verify', store]);
    assert.equal(broken.code, 1, explain(broken));
    assert.match(broken.stdout, new RegExp(`corrupt ${ownLayer.digest}`));
    assert.match(broken.stdout, new RegExp(`missing ${arm} \\(manifest\\).*affects team/tool:1`));
    const repaired = await runFerry(['verify', store, '--repair', '--src-tls-verify=false']);
    assert.equal(repaired.code, 0, explain(repaired));
    assert.match(repaired.stderr, new RegExp(`repaired ${ownLayer.digest} from ${proxy.host}/`));
    assert.equal((await runFerry(['verify', store])).code, 0);
  });

  test('mirror to mirror from ferry YAML (no to: needed), flattened', async () => {
    const ferryConfig = join(root, 'ferry.yaml');
    await writeFile(ferryConfig, `registries:\n  ${proxy.host}:\n    tls-verify: false\nsync:\n  - from: ${proxy.host}/team/tool\n    tags: ["1"]\n`);
    const direct = join(root, 'direct-resources');
    const run = await runFerry(['mirror', '--config', ferryConfig, '--to', `docker://${inside.host}/direct`, '--flatten=-1', '--dest-tls-verify=false', '--resources-dir', direct]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${inside.host}/direct/tool:1`, { tlsVerify: false }), built[2]!.top.digest);
    const idms = parse(await readFile(join(direct, 'imagedigestmirrorset.yaml'), 'utf8'));
    assert.deepEqual(idms.spec.imageDigestMirrors, [{ source: `${proxy.host}/team/tool`, mirrors: [`${inside.host}/direct/tool`] }]);
  });
});
