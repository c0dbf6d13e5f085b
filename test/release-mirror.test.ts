import assert from 'node:assert/strict';
import { cp, lstat, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { gpgHome, type GpgHome, type GpgKey } from './helpers/gpg.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { serveDirectory } from './helpers/static-server.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { makeCA, makeServerCert } from './helpers/tls.ts';
import { RELEASE_MANIFEST_KINDS, startKubeApi, writeKubeconfig } from './fixtures/kube-api.ts';
import { RELEASE_VERSION, pushRelease, signRelease, type TestRelease } from './fixtures/release-image.ts';

/**
 * `ferry release mirror` against real peers: a release built for the test
 * (synthetic components, one multi-platform, in a real registry; a release
 * layer with image-references and release-metadata), signed with `skopeo
 * standalone-sign` in a temp GNUPGHOME and served from a loopback HTTP
 * store. skopeo judges every digest that lands; a counting proxy in front of
 * the mirror shows what crossed. oc itself is not installed: its disk format
 * is checked for the shape oc's source reads (tags as symlinks to
 * `sha256:<hex>`, manifests by digest as hard links of their blob files).
 * No Kubernetes API server can be installed either: `--apply-manifests` is
 * tested against a stand-in written for the tests (test/fixtures/kube-api.ts)
 * that checks the request paths, the server-side-apply patch type and the
 * field manager, and stores what it is given.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'gpg', 'gpgv');

describe('ferry release mirror', { skip, timeout: 300_000 }, () => {
  let source: RunningRegistry;
  let mirror: RunningRegistry;
  let inside: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;
  let gpg: GpgHome;
  let key: GpgKey;
  let release: TestRelease;
  let signature: string;
  let store: string;
  const cleanups: Array<() => unknown> = [];

  before(async () => {
    [source, mirror, inside, work] = await Promise.all([startRegistry(), startRegistry(), startRegistry(), tempDir('ferry-release')]);
    proxy = await startProxy({ upstream: mirror.url });
    gpg = await gpgHome();
    key = await gpg.generateKey('release-signer');
    release = await pushRelease(source.host, work);
    signature = await signRelease(release, gpg, key, join(work, 'store'));
    store = (await serveDirectory(join(work, 'store'), { after: (fn) => cleanups.push(fn) })).url;
  });

  after(async () => {
    for (const cleanup of cleanups) await cleanup();
    await proxy?.stop();
    await Promise.all([source?.stop(), mirror?.stop(), inside?.stop()]);
    await gpg?.dispose();
    if (work) await removeTempDir(work);
  });

  const signed = () => ['--release-signature-store', store, '--release-key', key.armoredKeyFile];
  const hex = () => release.digest.slice('sha256:'.length);
  const digestAt = (ref: string) => skopeoInspectDigest(`docker://${ref}`, { tlsVerify: false });

  test('mirror to mirror: every digest exact, shared blobs cross once, mounts, the manifests; a re-run copies nothing', async () => {
    const to = `${proxy.host}/ocp/release`;
    const manifests = join(work, 'm2m-manifests');
    const report = join(work, 'm2m-report.json');
    proxy.reset();
    const args = ['release', 'mirror', '--from', release.ref, '--to', to, '--to-release-image', `${proxy.host}/ocp/release-images:${RELEASE_VERSION}`, ...signed(), '--insecure', '--manifests-to-dir', manifests, '--report', report];
    const run = await runFerry(args);
    assert.equal(run.code, 0, explain(run));

    // skopeo: each component digest-exact under <version>-<component>, every platform, the release under <version>.
    for (const c of release.components) {
      assert.equal(await digestAt(`${mirror.host}/ocp/release:${RELEASE_VERSION}-${c.name}`), c.digest, c.name);
      for (const m of c.manifests) assert.equal(await digestAt(`${mirror.host}/ocp/release@${m}`), m, `${c.name} instance ${m}`);
    }
    assert.equal(await digestAt(`${mirror.host}/ocp/release:${RELEASE_VERSION}`), release.digest);
    assert.equal(await digestAt(`${mirror.host}/ocp/release-images:${RELEASE_VERSION}`), release.digest);

    // Each blob crossed once (the shared base too); the second repository mounted the release's blobs.
    assert.equal(proxy.uploadedBytes(), release.blobBytes, 'bytes uploaded = the distinct blobs, once');
    const mounts = proxy.stats.log.filter((e) => e.method === 'POST' && e.kind === 'upload' && e.path.includes('mount=') && e.status === 201);
    assert.ok(mounts.some((e) => e.path.startsWith('/v2/ocp/release-images/')), 'release-images mounted from ocp/release');

    // What oc prints: the digest to upgrade to (where --to-release-image put it), and the install-config snippet.
    assert.match(run.stdout, new RegExp(`oc adm upgrade --allow-explicit-upgrade --to-image ${proxy.host}/ocp/release-images@${release.digest}`));
    assert.match(run.stdout, new RegExp(`imageContentSources:\\n  - mirrors:\\n      - ${to}\\n    source: ${source.host}/ocp/art-dev\\n`));
    assert.match(run.stdout, /Signatures: 1 verified/);

    // The signature ConfigMap: the signature's bytes, exactly, under the enhancement's names.
    const cm = parse(await readFile(join(manifests, `signature-sha256-${hex().slice(0, 16)}.yaml`), 'utf8'));
    assert.equal(cm.kind, 'ConfigMap');
    assert.deepEqual(cm.metadata, { name: `sha256-${hex()}`, namespace: 'openshift-config-managed', labels: { 'release.openshift.io/verification-signatures': '' } });
    assert.deepEqual(Object.keys(cm.binaryData), [`sha256-${hex()}-1`]);
    assert.deepEqual(Buffer.from(cm.binaryData[`sha256-${hex()}-1`], 'base64'), await readFile(signature));

    // ICSP, IDMS and ITMS: every source repository to the mirror; the release's also to --to-release-image.
    const expected = [
      { source: `${source.host}/ocp/art-dev`, mirrors: [to] },
      { source: `${source.host}/ocp/art-extra`, mirrors: [to] },
      { source: `${source.host}/ocp/release`, mirrors: [to, `${proxy.host}/ocp/release-images`].sort() },
    ];
    const icsp = parse(await readFile(join(manifests, 'imagecontentsourcepolicy.yaml'), 'utf8'));
    assert.equal(icsp.apiVersion, 'operator.openshift.io/v1alpha1');
    assert.equal(icsp.metadata.name, `release-${RELEASE_VERSION}`);
    assert.deepEqual(icsp.spec.repositoryDigestMirrors, expected);
    const idms = parse(await readFile(join(manifests, 'imagedigestmirrorset.yaml'), 'utf8'));
    assert.deepEqual([idms.apiVersion, idms.kind], ['config.openshift.io/v1', 'ImageDigestMirrorSet']);
    assert.deepEqual(idms.spec.imageDigestMirrors, expected);
    const itms = parse(await readFile(join(manifests, 'imagetagmirrorset.yaml'), 'utf8'));
    assert.deepEqual(itms.spec.imageTagMirrors, expected);

    const first = JSON.parse(await readFile(report, 'utf8'));
    assert.equal(first.totals.failed, 0);
    // Every component, and the release twice (--to and --to-release-image).
    assert.equal(first.totals.copied, release.components.length + 2);

    // A re-run: every image found by HEAD, nothing uploaded.
    proxy.reset();
    const again = await runFerry(args);
    assert.equal(again.code, 0, explain(again));
    const second = JSON.parse(await readFile(report, 'utf8'));
    assert.deepEqual([second.totals.copied, second.totals.skipped], [0, release.components.length + 2]);
    assert.equal(proxy.uploadedBytes(), 0);
    assert.equal(proxy.count('PUT manifest'), 0);
  });

  test('a signature that does not verify fails the run before anything is written', async (t) => {
    const bad = join(work, 'bad-store');
    await cp(join(work, 'store'), bad, { recursive: true });
    const file = join(bad, `sha256=${hex()}`, 'signature-1');
    const bytes = await readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 8) ^ 0xff, bytes.length - 8);
    await writeFile(file, bytes);
    const badUrl = (await serveDirectory(bad, t)).url;
    const manifests = join(work, 'bad-manifests');
    const run = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/bad/release`, '--release-signature-store', badUrl, '--release-key', key.publicKeyFile, '--insecure', '--manifests-to-dir', manifests]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, new RegExp(`release signature 1 \\(${badUrl}/sha256=${hex()}/signature-1\\) of ${release.digest} does not verify`));
    assert.equal(await stat(manifests).then(() => true, () => false), false, 'no ConfigMap, no manifests directory');
    const listed = await runSkopeo(['list-tags', '--tls-verify=false', `docker://${mirror.host}/bad/release`]);
    assert.notEqual(listed.code, 0, 'nothing was pushed');

    // A key that did not sign it fails the same way; no key at all is a usage error naming the way out.
    const other = await gpg.generateKey('someone-else');
    const wrongKey = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/bad/release`, '--release-signature-store', store, '--release-key', other.publicKeyFile, '--insecure']);
    assert.equal(wrongKey.code, 1, explain(wrongKey));
    assert.match(wrongKey.stderr, /not among the trusted keys/);
    const none = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/bad/release`, '--insecure']);
    assert.equal(none.code, 2, explain(none));
    assert.match(none.stderr, /give --release-signature-store URL and --release-key FILE/);
    assert.match(none.stderr, /--skip-verification/);
  });

  test('--to-dir writes oc\'s disk format; image mirror --from-dir pushes it as oc\'s runbook says; release mirror from the dir re-verifies', async () => {
    const dir = join(work, 'connected');
    const toDisk = await runFerry(['release', 'mirror', '--from', release.ref, '--to-dir', dir, ...signed(), '--insecure']);
    assert.equal(toDisk.code, 0, explain(toDisk));
    assert.match(toDisk.stdout, new RegExp(`ferry image mirror --from-dir=${dir} 'file://openshift/release:${RELEASE_VERSION}\\*' REGISTRY/REPOSITORY`));

    // The shape oc's file store reads: a tag is a symlink to "sha256:<hex>", a manifest by digest a hard link of its blob.
    const repo = join(dir, 'v2', 'openshift', 'release');
    assert.ok((await lstat(join(repo, 'manifests', RELEASE_VERSION))).isSymbolicLink());
    assert.equal(await readlink(join(repo, 'manifests', RELEASE_VERSION)), release.digest);
    assert.equal(await readlink(join(repo, 'manifests', `${RELEASE_VERSION}-cli`)), release.components[0]!.digest);
    const byDigest = await stat(join(repo, 'manifests', release.digest));
    assert.equal(byDigest.nlink, 2);
    assert.equal(byDigest.ino, (await stat(join(repo, 'blobs', release.digest))).ino);
    assert.deepEqual(await readFile(join(repo, 'manifests', release.digest)), release.manifest);
    // The manifests under DIR/manifests, and the signatures kept as a store.
    assert.deepEqual(await readFile(join(dir, 'release-signatures', `sha256=${hex()}`, 'signature-1')), await readFile(signature));
    assert.ok((await stat(join(dir, 'manifests', `signature-sha256-${hex().slice(0, 16)}.yaml`))).isFile());

    // Inside: the seed's step, as written, from the directory that holds "mirror".
    await cp(dir, join(work, 'inside-site', 'mirror'), { recursive: true });
    const upload = await runFerry(['image', 'mirror', '--from-dir=mirror', `file://openshift/release:${RELEASE_VERSION}*`, `${inside.host}/ocp/release`, '--insecure'], { cwd: join(work, 'inside-site') });
    assert.equal(upload.code, 0, explain(upload));
    assert.equal(await digestAt(`${inside.host}/ocp/release:${RELEASE_VERSION}`), release.digest);
    for (const c of release.components) {
      assert.equal(await digestAt(`${inside.host}/ocp/release:${RELEASE_VERSION}-${c.name}`), c.digest, c.name);
      for (const m of c.manifests) assert.equal(await digestAt(`${inside.host}/ocp/release@${m}`), m);
    }

    // Step 4 of the README's runbook, as written there: the release from the directory, its signatures checked
    // again, nothing copied twice, the manifests for the inside registry.
    const site = join(work, 'inside-site');
    const report = join(site, 'report.json');
    const fromDisk = await runFerry(['release', 'mirror', '--from-dir=mirror', '--from', `file://openshift/release:${RELEASE_VERSION}`, '--to', `${inside.host}/ocp/release`,
      '--release-signature-store', 'file://mirror/release-signatures', '--release-key', key.publicKeyFile, '--manifests-to-dir', 'manifests', '--insecure', '--report', report], { cwd: site });
    assert.equal(fromDisk.code, 0, explain(fromDisk));
    const totals = JSON.parse(await readFile(report, 'utf8')).totals;
    assert.deepEqual([totals.copied, totals.skipped], [0, release.components.length + 1]);
    const idms = parse(await readFile(join(site, 'manifests', 'imagedigestmirrorset.yaml'), 'utf8'));
    assert.deepEqual(idms.spec.imageDigestMirrors.map((m: { source: string }) => m.source), [`${source.host}/ocp/art-dev`, `${source.host}/ocp/art-extra`]);
    assert.ok((await stat(join(site, 'manifests', `signature-sha256-${hex().slice(0, 16)}.yaml`))).isFile());
    assert.match(fromDisk.stdout, new RegExp(`--to-image ${inside.host}/ocp/release@${release.digest}`));
  });

  test('--dry-run and --skip-verification say what they do and write nothing', async () => {
    const manifests = join(work, 'dry-manifests');
    const dry = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/dry/release`, ...signed(), '--insecure', '--manifests-to-dir', manifests, '--dry-run']);
    assert.equal(dry.code, 0, explain(dry));
    assert.match(dry.stdout, new RegExp(`would write signature-sha256-${hex().slice(0, 16)}\\.yaml \\(ConfigMap sha256-${hex()}\\)`));
    assert.match(dry.stdout, /docker:\/\/127\.0\.0\.1:\d+: 4 images to copy, 0 to skip/);
    assert.equal(await stat(manifests).then(() => true, () => false), false);
    assert.notEqual((await runSkopeo(['list-tags', '--tls-verify=false', `docker://${mirror.host}/dry/release`])).code, 0);

    const unverified = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/unverified/release`, '--skip-verification', '--insecure', '--manifests-to-dir', manifests]);
    assert.equal(unverified.code, 0, explain(unverified));
    assert.match(unverified.stderr, new RegExp(`warning: --skip-verification: the signatures of ${release.digest} were not verified \\(none were read\\)`));
    assert.equal(await stat(join(manifests, `signature-sha256-${hex().slice(0, 16)}.yaml`)).then(() => true, () => false), false, 'no signature, no ConfigMap');
    assert.equal(await digestAt(`${mirror.host}/unverified/release:${RELEASE_VERSION}`), release.digest);
  });

  test('--apply-manifests: server-side apply with field manager ferry; what exists is left with a warning; --overwrite forces', async () => {
    const ca = await makeCA(join(work, 'kube-ca'));
    const TOKEN = 'sha256~apply-token-do-not-print';
    const api = await startKubeApi({ tls: await makeServerCert(ca, { name: 'apply' }), token: TOKEN, serves: RELEASE_MANIFEST_KINDS });
    try {
      const kubeconfig = join(work, 'kubeconfig');
      await writeKubeconfig(kubeconfig, 'ocp', api.server, ca, TOKEN);
      const args = ['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/apply/release`, ...signed(), '--insecure', '--apply-manifests'];
      const paths = [
        `/api/v1/namespaces/openshift-config-managed/configmaps/sha256-${hex()}`,
        `/apis/operator.openshift.io/v1alpha1/imagecontentsourcepolicies/release-${RELEASE_VERSION}`,
        `/apis/config.openshift.io/v1/imagedigestmirrorsets/release-${RELEASE_VERSION}`,
        `/apis/config.openshift.io/v1/imagetagmirrorsets/release-${RELEASE_VERSION}`,
      ];
      const patches = () => api.calls.filter((c) => c.method === 'PATCH');

      const first = await runFerry([...args, '--kubeconfig', kubeconfig]);
      assert.equal(first.code, 0, explain(first));
      assert.deepEqual(patches().map((c) => c.path), paths);
      for (const c of patches()) {
        assert.equal(c.contentType, 'application/apply-patch+yaml', c.path);
        assert.equal(c.query.get('fieldManager'), 'ferry', c.path);
        assert.equal(c.query.get('force'), null, `${c.path}: no force without --overwrite`);
      }
      const cm = api.stored.get(paths[0]!) as { binaryData: Record<string, string>; metadata: { labels: Record<string, string> } };
      assert.deepEqual(Buffer.from(cm.binaryData[`sha256-${hex()}-1`]!, 'base64'), await readFile(signature));
      assert.deepEqual(cm.metadata.labels, { 'release.openshift.io/verification-signatures': '' });
      assert.match(first.stdout, new RegExp(`configmap/sha256-${hex()} applied \\(server-side\\)`));

      // Again, from KUBECONFIG: everything exists, nothing is patched, each is named in a warning.
      const before = patches().length;
      const second = await runFerry(args, { env: { KUBECONFIG: kubeconfig } });
      assert.equal(second.code, 0, explain(second));
      assert.equal(patches().length, before);
      assert.match(second.stderr, new RegExp(`warning: configmap/sha256-${hex()} exists in the cluster and was left as it is \\(use --overwrite to replace it\\)`));
      assert.match(second.stderr, new RegExp(`warning: imagedigestmirrorset/release-${RELEASE_VERSION} exists`));

      const third = await runFerry([...args, '--overwrite', '--kubeconfig', kubeconfig]);
      assert.equal(third.code, 0, explain(third));
      assert.deepEqual(patches().slice(before).map((c) => [c.path, c.query.get('force')]), paths.map((p) => [p, 'true']));
      for (const run of [first, second, third]) assert.ok(!run.stdout.includes(TOKEN) && !run.stderr.includes(TOKEN), 'the token is never printed');
    } finally {
      await api.stop();
    }

    // A cluster before 4.13 serves no mirror sets: the ConfigMap and the ICSP are applied, the others named in warnings.
    const old = await startKubeApi({ tls: await makeServerCert(ca, { name: 'old' }), token: 'old-token', serves: RELEASE_MANIFEST_KINDS.slice(0, 2) });
    try {
      const kubeconfig = join(work, 'kubeconfig-old');
      await writeKubeconfig(kubeconfig, 'old', old.server, ca, 'old-token');
      const run = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/apply/release`, ...signed(), '--insecure', '--apply-manifests', '--kubeconfig', kubeconfig]);
      assert.equal(run.code, 0, explain(run));
      assert.deepEqual(old.calls.filter((c) => c.method === 'PATCH').map((c) => c.path.split('/')[3]), ['namespaces', 'v1alpha1']);
      assert.match(run.stderr, /warning: the cluster does not serve ImageDigestMirrorSet; imagedigestmirrorset\/release-4\.3\.0 was not applied/);
    } finally {
      await old.stop();
    }

    const misuse = await runFerry(['release', 'mirror', '--from', release.ref, '--to', `${mirror.host}/apply/release`, '--skip-verification', '--overwrite']);
    assert.equal(misuse.code, 2, explain(misuse));
    assert.match(misuse.stderr, /--overwrite is only valid with --apply-manifests/);
  });
});
