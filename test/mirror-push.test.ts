import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { Descriptor } from '../src/oci/descriptor.ts';
import { planPush, pushStore } from '../src/mirror/mirror-push.ts';
import { verifyStore } from '../src/mirror/store/store-verify.ts';
import type { StoreImage } from '../src/transports/layout/layout-graph.ts';
import type { LayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { FAKE_SOURCE, addReferrer, seedStore, sharedSpecs } from './fixtures/mirror.ts';
import { catalog } from './fixtures/sync.ts';

/** A referrer of the manifest `repository:tag` names, as a registry or `ferry copy` would leave it. */
async function addReferrerTo(store: LayoutStore, repository: string, tag: string): Promise<Descriptor> {
  const subject = (await store.listEntries()).find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === `${repository}:${tag}`)!;
  return addReferrer(store, repository, subject);
}

test('push names images by their recorded source repository, under the prefix, flattened', () => {
  const entry = (name: string | undefined, source: string | undefined, extra: Record<string, string> = {}): StoreImage => ({
    entry: {
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${'1'.repeat(64)}`, size: 10,
      annotations: { ...(name ? { 'org.opencontainers.image.ref.name': name } : {}), ...(source ? { 'io.ferry.source': source } : {}), ...extra },
    },
    name: name ?? 'untagged',
    source,
  });
  const images = [
    entry('nginx:1.25', 'docker.io/library/nginx:1.25'),
    entry('app:2', 'quay.io/team/sub/app:2'),
    entry('by-digest@x', `quay.io/team/sub/app@sha256:${'1'.repeat(64)}`),
    entry('ns/local:1', undefined),
    entry('latest', undefined),
    entry(undefined, undefined, { 'io.ferry.repository': 'app' }),
  ];
  const plans = planPush(images, { registry: 'mirror:5000', prefix: 'm', flatten: 0 });
  const target = (i: number) => {
    const t = plans.find((p) => p.image === images[i])!.target;
    return typeof t === 'string' ? `error: ${t}` : `${t.registry}/${t.repository}${t.tag ? `:${t.tag}` : `@${t.digest}`}`;
  };
  assert.equal(target(0), 'mirror:5000/m/library/nginx:1.25');
  assert.equal(target(1), 'mirror:5000/m/team/sub/app:2');
  assert.equal(target(2), `mirror:5000/m/team/sub/app@sha256:${'1'.repeat(64)}`);
  assert.equal(target(3), 'mirror:5000/m/ns/local:1');
  assert.match(target(4), /^error: "latest" names no repository/);
  assert.equal(target(5), `mirror:5000/m/team/sub/app@sha256:${'1'.repeat(64)}`, 'a referrer follows its repository\'s source');
  assert.equal(plans.at(-1)!.image, images[5], 'untagged records go last');
  const flat = planPush(images, { registry: 'mirror:5000', prefix: 'm', flatten: -1 });
  assert.deepEqual(flat.map((p) => (typeof p.target === 'string' ? 'error' : p.target.repository)), ['m/nginx', 'm/app', 'm/app', 'm/local', 'error', 'm/app']);
});

test('verify checks referrers\' subjects; disk to mirror pushes images and referrers with their digests', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const root = await tempDir('mirror-push', t);
  const dir = join(root, 'mirror');
  const store = await seedStore(join(dir, 'store'), sharedSpecs());
  const referrer = await addReferrerTo(store, 'team/app', '1');
  assert.deepEqual((await verifyStore(store)).problems, []);

  const registry = await startRegistry({ t });
  const run = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${registry.host}/mirror/`, '--dest-tls-verify=false', '--json']);
  assert.equal(run.code, 0, explain(run));
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { images: Array<{ name: string; destination: string; digest: string; status: string }> };
  assert.equal(result.images.length, 4);
  for (const image of result.images) {
    assert.equal(image.status, 'copied', image.name);
    assert.equal(await skopeoInspectDigest(`docker://${image.destination}`, { tlsVerify: false }), image.digest, image.destination);
  }
  assert.ok(result.images.some((i) => i.destination === `${registry.host}/mirror/team/app@${referrer.digest}`), 'the referrer went to its subject\'s repository, by digest');
  const idms = parse(await readFile(join(dir, 'cluster-resources', 'imagedigestmirrorset.yaml'), 'utf8'));
  assert.deepEqual(idms.spec.imageDigestMirrors, [
    { source: `${FAKE_SOURCE}/team/app`, mirrors: [`${registry.host}/mirror/team/app`] },
    { source: `${FAKE_SOURCE}/team/tool`, mirrors: [`${registry.host}/mirror/team/tool`] },
  ]);

  // A second push finds everything there (HEAD only).
  const again = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${registry.host}/mirror`, '--dest-tls-verify=false']);
  assert.equal(again.code, 0, explain(again));
  assert.match(again.stderr, /Pushed 4 images .*: 0 copied, 4 already there, 0 failed/);

  // Without its subject the referrer is reported, and a damaged store is not pushed.
  const subject = (await store.listEntries()).find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'team/app:1')!;
  await rm(store.blobPath(subject.digest));
  const problems = (await verifyStore(store)).problems;
  assert.ok(problems.some((p) => p.kind === 'missing' && p.digest === subject.digest && p.images.includes(`team/app@${referrer.digest}`)), JSON.stringify(problems));
  const refused = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${registry.host}/other`, '--dest-tls-verify=false']);
  assert.equal(refused.code, 1, explain(refused));
  assert.match(refused.stderr, /is damaged: .*nothing was pushed/);
});

test('a push that stops at a failure blames that image only and reports the rest as not run; --keep-going pushes the rest', { skip: requirePeer('docker-registry') }, async (t) => {
  const root = await tempDir('mirror-push-stop', t);
  const store = await seedStore(join(root, 'store'), sharedSpecs());
  // First in line: a record named `latest`, with no repository and no source, which cannot be named at the mirror.
  const app1 = (await store.listEntries()).find((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'team/app:1')!;
  await store.updateIndex((entries) => [{ ...app1, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }, ...entries]);
  const images = (await verifyStore(store)).graph.images;
  const registry = await startRegistry({ t });
  const options = { registry: registry.host, prefix: 'm', access: { tlsVerify: false }, jobs: 1 };

  const stopped = await pushStore(store, images, options);
  assert.deepEqual(stopped.images.map((i) => [i.name, i.status]), [['latest', 'failed'], ['team/app:1', 'failed'], ['team/app:2', 'failed'], ['team/tool:1', 'failed']]);
  assert.match(stopped.images[0]!.reason ?? '', /names no repository/);
  for (const image of stopped.images.slice(1)) assert.equal(image.reason, 'not run: stopped at the failure of latest', image.name);
  assert.deepEqual(await catalog(registry.url), [], 'nothing was pushed after the failure');

  const reported: string[] = [];
  const going = await pushStore(store, images, { ...options, keepGoing: true, onImage: (i) => reported.push(i.name) });
  assert.deepEqual(going.images.map((i) => i.status), ['failed', 'copied', 'copied', 'copied']);
  assert.deepEqual(reported.sort(), ['latest', 'team/app:1', 'team/app:2', 'team/tool:1'], 'each image reported once');
});

test('a mirror registry that refuses the credentials is named, with its image and --dest-creds, not a blob digest', { skip: requirePeer('docker-registry', 'htpasswd') }, async (t) => {
  const root = await tempDir('mirror-push-401', t);
  const dir = join(root, 'mirror');
  await seedStore(join(dir, 'store'), sharedSpecs());
  const password = 'right-horse-battery';
  const registry = await startRegistry({ htpasswd: { pusher: password }, t });
  const wrong = 'wrong-staple-7731';
  const run = await runFerry(['mirror', '--from-dir', dir, '--to', `docker://${registry.host}/m`, '--dest-tls-verify=false', '--dest-creds', `pusher:${wrong}`, '--jobs', '1']);
  assert.equal(run.code, 1, explain(run));
  assert.match(run.stderr, new RegExp(`docker://${registry.host}/m/team/app:1: the destination registry ${registry.host} refused the credentials \\(HTTP 401`), explain(run));
  assert.match(run.stderr, /hint: check the destination's credentials: --dest-creds/);
  assert.doesNotMatch(run.stderr, /sha256:[0-9a-f]{64}: /, 'the failure names the image, not a blob');
  for (const secret of [password, wrong]) assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), 'no password in the output');
});

test('mirror to disk refuses --manifests-to-dir instead of ignoring it', async (t) => {
  const dir = await tempDir('ferry-mirror-manifests', t);
  const config = join(dir, 'mirror.yaml');
  await writeFile(config, 'quay.io:\n  images:\n    team/app: ["1"]\n');
  const run = await runFerry(['mirror', '--config', config, '--to-dir', join(dir, 'out'), '--manifests-to-dir', join(dir, 'manifests')]);
  assert.equal(run.code, 2, explain(run));
  assert.match(run.stderr, /--manifests-to-dir: mirror to disk has no mirror registry yet/);
  assert.match(run.stderr, /hint: pass --manifests-to-dir to the run that pushes inside/);
});
