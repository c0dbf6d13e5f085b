import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { INTERNAL } from './fixtures/k8s-export.ts';
import { pushTestImage } from './fixtures/k8s-images.ts';
import { openshiftRegistryObjects, startKubeApi, writeKubeconfig, type KubeApi } from './fixtures/kube-api.ts';
import { contents } from './fixtures/sync.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeServerCert, type CertificateAuthority } from './helpers/tls.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * The crane migration steps of konveyor's guides, replayed with ferry
 * against two docker-registry instances (the source cluster's registry route
 * and the destination's):
 * registry-info (from an export directory, and from a live cluster through a
 * kubeconfig) → sync-gen (tags whose image lives in namespace `openshift`
 * are not staged) → sync with a report → rewrite with a replacement from one
 * internal registry name to another plus --pin-digests. skopeo checks that
 * each pinned reference resolves to the digest written.
 *
 * There is no Kubernetes API server on this machine: the live-cluster form
 * talks to a stand-in (test/fixtures/kube-api.ts) that serves the registry
 * objects over HTTPS with bearer-token authentication.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');

/** ImageStreams of namespace `shop`: one pushed image, and two tags whose image belongs to namespace openshift. */
function streams(d: { app: string; nodejs: string }): Record<string, string> {
  const stream = (name: string, body: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata:
  name: ${name}
  namespace: shop
${body}`;
  return {
    'resources/shop/ImageStream_app.yaml': stream('app', `status:
  dockerImageRepository: ${INTERNAL}/shop/app
  tags:
  - tag: v1
    items:
    - dockerImageReference: ${INTERNAL}/shop/app@${d.app}
      image: ${d.app}
`),
    // Tagged from openshift/nodejs:18 with the default (Source) reference policy: the pull spec names namespace openshift.
    'resources/shop/ImageStream_base.yaml': stream('base', `status:
  dockerImageRepository: ${INTERNAL}/shop/base
  tags:
  - tag: "18"
    items:
    - dockerImageReference: ${INTERNAL}/openshift/nodejs@${d.nodejs}
      image: ${d.nodejs}
`),
    // Tracks openshift/nodejs:18 with referencePolicy Local: the pull spec names shop, only spec.tags[].from tells.
    'resources/shop/ImageStream_runtime.yaml': stream('runtime', `spec:
  tags:
  - name: "18"
    from: {kind: ImageStreamTag, name: "nodejs:18", namespace: openshift}
    referencePolicy: {type: Local}
status:
  dockerImageRepository: ${INTERNAL}/shop/runtime
  tags:
  - tag: "18"
    items:
    - dockerImageReference: ${INTERNAL}/shop/runtime@${d.nodejs}
      image: ${d.nodejs}
`),
    'resources/shop/Deployment_web.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: web
        image: ${INTERNAL}/shop/app:v1   # built outside, pushed to the cluster
      - name: node
        image: ${INTERNAL}/shop/runtime:18
`,
  };
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

describe('crane details: registry-info, sync-gen, rewrite --pin-digests', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;
  let ca: CertificateAuthority;
  let api: KubeApi;
  const TOKEN = 'sha256~kube-token-9f2c-do-not-print';
  let digests: { app: string; nodejs: string };
  let exportDir: string;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-crane-details')]);
    digests = {
      app: await pushTestImage(source.host, 'shop/app', 'v1', 'crane-app'),
      nodejs: await pushTestImage(source.host, 'openshift/nodejs', '18', 'crane-nodejs'),
    };
    exportDir = join(work, 'export');
    await writeTree(exportDir, streams(digests));
    ca = await makeCA(join(work, 'ca'));
    api = await startKubeApi({ tls: await makeServerCert(ca), token: TOKEN, objects: openshiftRegistryObjects(source.host) });
  });

  after(async () => {
    await Promise.all([source?.stop(), dest?.stop(), api?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('registry-info from an export of namespace openshift-image-registry, as text, JSON and bare hosts', async () => {
    const dir = join(work, 'registry-export');
    const files: Record<string, string> = {};
    for (const [path, object] of Object.entries(openshiftRegistryObjects(source.host))) files[`resources/openshift-image-registry/${path.split('/').slice(-2).join('_')}.yaml`] = stringify(object);
    await writeTree(dir, files);
    const text = await runFerry(['k8s', 'registry-info', '--export-dir', dir]);
    assert.equal(text.code, 0, explain(text));
    assert.match(text.stdout, new RegExp(`^internal {2}${INTERNAL.replace(/\./g, '\\.')} +from Service openshift-image-registry/image-registry \\(.*services_image-registry\\.yaml:1\\)\\n`));
    assert.match(text.stdout, new RegExp(`\\npublic {4}${source.host} +from Route openshift-image-registry/default-route`));
    const json = await runFerry(['k8s', 'registry-info', '--export-dir', dir, '--json']);
    assert.deepEqual((({ internal, public: p }) => ({ internal, public: p }))(JSON.parse(json.stdout) as { internal: string; public: string }), { internal: INTERNAL, public: source.host });
    const pub = await runFerry(['k8s', 'registry-info', '--export-dir', dir, '--public']);
    assert.equal(pub.stdout, `${source.host}\n`);

    // A crane export of an application namespace alone: the ImageStreams still name both hosts.
    const fromStreams = await runFerry(['k8s', 'registry-info', '--export-dir', exportDir, '--internal']);
    assert.equal(fromStreams.stdout, `${INTERNAL}\n`);
    const noPublic = await runFerry(['k8s', 'registry-info', '--export-dir', exportDir, '--public']);
    assert.equal(noPublic.code, 1, explain(noPublic));
    assert.match(noPublic.stderr, /no public registry host found: include Route default-route of namespace openshift-image-registry, or enable it with: oc patch configs\.imageregistry\.operator\.openshift\.io\/cluster/);
  });

  test('registry-info from a live cluster through a kubeconfig (API stand-in); a bad token is refused and never printed', async () => {
    const kubeconfig = join(work, 'kubeconfig');
    await writeKubeconfig(kubeconfig, 'source', api.server, ca, TOKEN);
    const run = await runFerry(['k8s', 'registry-info', '--kubeconfig', kubeconfig, '--json']);
    assert.equal(run.code, 0, explain(run));
    const info = JSON.parse(run.stdout) as { internal: string; public: string; internalSource: string };
    assert.equal(info.internal, INTERNAL);
    assert.equal(info.public, source.host);
    assert.match(info.internalSource, /^Service openshift-image-registry\/image-registry \(GET https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/openshift-image-registry\/services\/image-registry\)$/);
    assert.ok(api.requests.includes('/apis/route.openshift.io/v1/namespaces/openshift-image-registry/routes/default-route'));

    // KUBECONFIG lists files as kubectl reads them; the first names the current context.
    const viaEnv = await runFerry(['k8s', 'registry-info', '--public'], { env: { KUBECONFIG: `${join(work, 'missing-kubeconfig')}:${kubeconfig}` } });
    assert.equal(viaEnv.stdout, `${source.host}\n`, explain(viaEnv));

    const wrong = join(work, 'kubeconfig-wrong');
    await writeKubeconfig(wrong, 'source', api.server, ca, 'wrong-token-4411-do-not-print');
    const denied = await runFerry(['k8s', 'registry-info', '--kubeconfig', wrong]);
    assert.equal(denied.code, 1, explain(denied));
    assert.match(denied.stderr, /the API server of context source rejected the credentials \(GET https:\/\/127\.0\.0\.1:\d+\/.* → 401\)/);
    assert.doesNotMatch(denied.stdout + denied.stderr, /do-not-print/);
    const unknown = await runFerry(['k8s', 'registry-info', '--kubeconfig', kubeconfig, '--context', 'nope']);
    assert.equal(unknown.code, 1, explain(unknown));
    assert.match(unknown.stderr, /has no context "nope"/);
  });

  test('a cluster whose registry has no default route: the fix is named', async () => {
    const closed = await startKubeApi({ tls: await makeServerCert(ca, { name: 'closed' }), token: TOKEN, objects: openshiftRegistryObjects(source.host, { defaultRoute: false }) });
    try {
      const kubeconfig = join(work, 'kubeconfig-closed');
      await writeKubeconfig(kubeconfig, 'closed', closed.server, ca, TOKEN);
      const run = await runFerry(['k8s', 'registry-info', '--kubeconfig', kubeconfig]);
      assert.equal(run.code, 1, explain(run));
      assert.match(run.stdout, /^internal {2}image-registry\.openshift-image-registry\.svc:5000 /);
      assert.match(run.stderr, /the registry's default route is not enabled \(Config cluster .*\); enable it with: oc patch configs\.imageregistry\.operator\.openshift\.io\/cluster --patch '\{"spec":\{"defaultRoute":true\}\}' --type=merge/);
    } finally {
      await closed.stop();
    }
  });

  test('sync-gen leaves tags whose image lives in namespace openshift; rewrite pins the crane replacement by source repository and tag', async () => {
    const kubeconfig = join(work, 'kubeconfig-chain');
    await writeKubeconfig(kubeconfig, 'source', api.server, ca, TOKEN);
    // The hosts come from registry-info, as crane's pipeline passes its task results on.
    const host = async (which: '--public' | '--internal') => (await runFerry(['k8s', 'registry-info', '--kubeconfig', kubeconfig, which])).stdout.trim();
    const [publicHost, internalHost] = [await host('--public'), await host('--internal')];
    assert.equal(publicHost, source.host);

    const gen = await runFerry(['k8s', 'sync-gen', '--export-dir', exportDir, '--registry-url', publicHost, '--internal-registry', internalHost, '--tls-verify=false']);
    assert.equal(gen.code, 0, explain(gen));
    assert.match(gen.stderr, /1 of 3 ImageStream tags staged/);
    const explainRun = await runFerry(['k8s', 'sync-gen', '--export-dir', exportDir, '--registry-url', publicHost, '--explain']);
    assert.match(explainRun.stdout, /shop\/base:18 +openshift-internal +skip +image .*\/openshift\/nodejs@sha256:\w+ is in namespace openshift of the internal registry/);
    assert.match(explainRun.stdout, /shop\/runtime:18 +openshift-internal +skip +spec tag tracks ImageStreamTag openshift\/nodejs:18/);
    assert.match(explainRun.stdout, /shop\/app:v1 +externally-built +stage/);
    const yamlFile = join(work, 'sync.yaml');
    await writeFile(yamlFile, gen.stdout);

    const report = join(work, 'report.json');
    const sync = await runFerry(['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--report', report, yamlFile, `${dest.host}/destination`]);
    assert.equal(sync.code, 0, explain(sync));
    assert.deepEqual(await contents(dest.url), ['destination/app:v1'], 'nothing of namespace openshift was copied');
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/destination/app:v1`, { tlsVerify: false }), digests.app);

    // The workloads keep naming the internal registry; only the namespace moves.
    const out = join(work, 'rewritten');
    const rewrite = await runFerry(['k8s', 'rewrite', '--replace', `${internalHost}/shop=${internalHost}/destination`, '--pin-digests', report, '--out', out, join(exportDir, 'resources')]);
    assert.equal(rewrite.code, 0, explain(rewrite));
    const deployment = await readFile(join(out, 'shop', 'Deployment_web.yaml'), 'utf8');
    assert.match(deployment, new RegExp(`image: ${INTERNAL.replace(/\./g, '\\.')}/destination/app@${digests.app}   # built outside`));
    assert.match(deployment, new RegExp(`image: ${INTERNAL.replace(/\./g, '\\.')}/destination/runtime:18\\n`), 'not in the report: not pinned');
    assert.match(rewrite.stdout, /-> .*destination\/app@sha256:\w+ \(pinned\)/);
    // The pinned digest is what the destination registry serves.
    const pinned = /destination\/app@(sha256:\w+)/.exec(deployment)![1]!;
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/destination/app@${pinned}`, { tlsVerify: false }), digests.app);

    // A report that matches nothing is said to match nothing.
    const none = await runFerry(['k8s', 'rewrite', '--replace', 'other.example.com=new.example.com', '--pin-digests', report, '--dry-run', join(exportDir, 'resources')]);
    assert.equal(none.code, 0, explain(none));
    assert.match(none.stderr, /warning: --pin-digests .*report\.json: none of the report's 1 image matches an image reference here .*; nothing was pinned/);
  });
});
