import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { isFerryError } from '../src/errors.ts';
import { parseResourceText } from '../src/k8s/resource-files.ts';
import { classifyImageStreamTags } from '../src/k8s/image-stream-classes.ts';
import { parseSkopeoYaml } from '../src/sync/config/skopeo-yaml.ts';
import { checkRegistryUrl, formatExplain, syncGen, syncYaml } from '../src/k8s/sync-gen.ts';
import { FAKE_DIGESTS, writeCraneExport } from './fixtures/k8s-export.ts';
import { pushTestImage } from './fixtures/k8s-images.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { runSkopeo } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

const ROUTE = 'default-route-openshift-image-registry.apps.example.com';

test('sync-gen stages internally and externally built tags only (golden YAML and explain)', async (t) => {
  const root = await tempDir('ferry-k8s-syncgen', t);
  await writeCraneExport(root);
  const result = await syncGen({ exportDir: root, registryUrl: ROUTE });
  assert.equal(
    result.yaml,
    `${ROUTE}:
  images:
    shop/frontend:
      - latest
    shop/tools:
      - stable
      - "1.0"
`,
  );
  assert.deepEqual(result.errors.map((e) => e.file.slice(root.length + 1)), ['resources/shop/broken.yaml']);
  const explain = formatExplain(result.tags);
  const a = FAKE_DIGESTS.frontend;
  const I = 'image-registry.openshift-image-registry.svc:5000';
  assert.equal(
    explain,
    [
      'TAG                   CLASS               ACTION  REASON',
      'openshift/nodejs:18   openshift-internal  skip    namespace openshift holds the images installed with the cluster',
      `shop/frontend:latest  internally-built    stage   BuildConfig shop/frontend outputs to this tag (image ${I}/shop/frontend@${a})`,
      `shop/python:3.11      public              skip    image docker.io/library/python@sha256:${'d'.repeat(64)} is outside the internal registry; importing the tag on the destination recreates it`,
      `shop/tools:upstream   public              skip    image quay.io/example/tools@sha256:${'f'.repeat(64)} is outside the internal registry; importing the tag on the destination recreates it`,
      'shop/tools:next       externally-built    skip    no image recorded for tag next in status or an ImageStreamTag; nothing to copy',
      `shop/tools:stable     externally-built    stage   image ${I}/shop/tools@${FAKE_DIGESTS.toolsStable} is in the internal registry and no BuildConfig outputs to this tag, so it was pushed`,
      `shop/tools:1.0        externally-built    stage   image docker-registry.default.svc:5000/shop/tools@${FAKE_DIGESTS.tools10} is in the internal registry and no BuildConfig outputs to this tag, so it was pushed`,
      'shop/worker:1.0       internally-built    skip    BuildConfig shop/worker outputs to this tag, but no image has been built yet',
      '',
    ].join('\n'),
  );
});

const stream = (repo: string) => `apiVersion: image.openshift.io/v1
kind: ImageStream
metadata: {name: app, namespace: team}
status:
  tags:
  - tag: v1
    items:
    - dockerImageReference: ${repo}/team/app@sha256:${'1'.repeat(64)}
  - tag: v2
    items:
    - dockerImageReference: quay.io/team/app@sha256:${'2'.repeat(64)}
`;

test('--internal-registry and status.dockerImageRepository name more internal registries', () => {
  const custom = 'registry.internal.example:5000';
  const file = parseResourceText('is.yaml', stream(custom));
  const without = classifyImageStreamTags([file]);
  assert.deepEqual(without.map((t) => `${t.tag} ${t.class}`), ['v1 public', 'v2 public']);
  const withOption = classifyImageStreamTags([file], { internalRegistries: [custom.toUpperCase()] });
  assert.deepEqual(withOption.map((t) => `${t.tag} ${t.class} ${t.staged}`), ['v1 externally-built true', 'v2 public false']);
  // The stream itself says where the internal registry is.
  const learned = parseResourceText('is.yaml', stream(custom).replace('status:\n', `status:\n  dockerImageRepository: ${custom}/team/app\n`));
  assert.deepEqual(classifyImageStreamTags([learned]).map((t) => `${t.tag} ${t.class}`), ['v1 externally-built', 'v2 public']);
});

test('a BuildConfig pushing straight to the internal registry marks the tag internally built', () => {
  const I = 'image-registry.openshift-image-registry.svc:5000';
  const text = `${stream(I)}---
kind: BuildConfig
metadata: {name: b, namespace: team}
spec:
  output:
    to: {kind: DockerImage, name: ${I}/team/app:v1}
`;
  const tags = classifyImageStreamTags([parseResourceText('x.yaml', text)]);
  assert.deepEqual(tags.map((t) => `${t.tag} ${t.class} ${t.staged}`), ['v1 internally-built true', 'v2 public false']);
});

test('sync YAML: tls-verify, empty result, registry URL checks', () => {
  assert.equal(syncYaml([], { registryUrl: 'localhost:5000', tlsVerify: false }), 'localhost:5000:\n  images: {}\n  tls-verify: false\n');
  assert.equal(checkRegistryUrl('reg.example.com:8443/'), 'reg.example.com:8443');
  for (const bad of ['https://reg.example.com', 'justaword', 'reg.example.com:99999', '']) {
    assert.throws(() => checkRegistryUrl(bad), (e) => isFerryError(e, 'USAGE'), bad);
  }
  const parsed = parse(syncYaml(
    [{ namespace: 'n', stream: 's', tag: '2', class: 'externally-built', staged: true, reason: '', file: '', line: 1 }],
    { registryUrl: 'r.example.com' },
  )) as Record<string, { images: Record<string, unknown[]> }>;
  // A numeric-looking tag must stay a string for skopeo's []string.
  assert.deepEqual(parsed['r.example.com']!.images['n/s'], ['2']);
});

test("ferry sync's skopeo YAML reader accepts the generated file unchanged", async (t) => {
  const root = await tempDir('ferry-k8s-syncgen-ferry', t);
  await writeCraneExport(root);
  const { yaml } = await syncGen({ exportDir: root, registryUrl: 'route.apps.example.com:443', tlsVerify: false });
  const spec = parseSkopeoYaml(yaml, 'sync.yaml', { transport: 'docker', destination: 'new.example.com/shop' });
  assert.deepEqual(spec.warnings, []);
  assert.deepEqual(
    spec.sources.map((s) => [s.source, s.tags, s.sourceOptions]),
    [
      [{ kind: 'repository', registry: 'route.apps.example.com:443', repository: 'shop/frontend' }, { kind: 'explicit', tags: ['latest'], digests: [] }, { tlsVerify: false }],
      [{ kind: 'repository', registry: 'route.apps.example.com:443', repository: 'shop/tools' }, { kind: 'explicit', tags: ['stable', '1.0'], digests: [] }, { tlsVerify: false }],
    ],
  );
});

test('skopeo sync accepts the generated YAML and copies exactly the staged tags', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const registry = await startRegistry({ t });
  const digests = {
    frontend: await pushTestImage(registry.host, 'shop/frontend', 'latest', 'frontend'),
    toolsStable: await pushTestImage(registry.host, 'shop/tools', 'stable', 'tools-stable'),
    tools10: await pushTestImage(registry.host, 'shop/tools', '1.0', 'tools-10'),
  };
  const root = await tempDir('ferry-k8s-syncgen-skopeo', t);
  await writeCraneExport(join(root, 'export'), digests);
  const result = await syncGen({ exportDir: join(root, 'export'), registryUrl: registry.host, tlsVerify: false });
  const yamlFile = join(root, 'sync.yaml');
  await writeFile(yamlFile, result.yaml);
  const dry = await runSkopeo(['sync', '--dry-run', '--src', 'yaml', '--dest', 'dir', yamlFile, join(root, 'dry')]);
  assert.equal(dry.code, 0, dry.stderr);
  const run = await runSkopeo(['sync', '--src', 'yaml', '--dest', 'dir', yamlFile, join(root, 'out')]);
  assert.equal(run.code, 0, run.stderr);
  // skopeo names dir destinations by the last path component and tag.
  assert.deepEqual((await readdir(join(root, 'out'))).sort(), ['frontend:latest', 'tools:1.0', 'tools:stable']);
});
