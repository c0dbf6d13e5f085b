import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../errors.ts';
import { formatScanJson, formatScanTable } from './scan-format.ts';
import { scanResources } from './scan.ts';
import { writeCraneExport } from '../../test/fixtures/k8s-export.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

test('scan finds every image field of a crane export, skipping failures/ and reporting the broken file', async (t) => {
  const root = await tempDir('ferry-k8s-scan', t);
  await writeCraneExport(root);
  const result = await scanResources([root]);
  const rel = (f: string) => f.slice(root.length + 1);
  const got = result.uses.map((u) => `${rel(u.file)}:${u.line} ${u.document} ${u.kind} ${u.namespace}/${u.name} ${u.path} ${u.refKind === 'DockerImage' ? '' : `${u.refKind} `}${u.image}`);
  const I = 'image-registry.openshift-image-registry.svc:5000';
  const d = (c: string) => `sha256:${c.repeat(64)}`;
  assert.deepEqual(got, [
    `resources/openshift/ImageStream_image.openshift.io_v1_openshift_nodejs.yaml:11 0 ImageStream openshift/nodejs status.tags[0].items[0].dockerImageReference ${I}/openshift/nodejs@${d('e')}`,
    'resources/shop/BuildConfig_build.openshift.io_v1_shop_builds.yaml:18 0 BuildConfig shop/frontend items[0].spec.strategy.sourceStrategy.from.name ImageStreamTag openshift/nodejs:18',
    'resources/shop/BuildConfig_build.openshift.io_v1_shop_builds.yaml:23 0 BuildConfig shop/frontend items[0].spec.output.to.name ImageStreamTag shop/frontend:latest',
    'resources/shop/BuildConfig_build.openshift.io_v1_shop_builds.yaml:35 0 BuildConfig shop/worker items[1].spec.strategy.dockerStrategy.from.name registry.access.redhat.com/ubi9/ubi:latest',
    'resources/shop/BuildConfig_build.openshift.io_v1_shop_builds.yaml:39 0 BuildConfig shop/worker items[1].spec.output.to.name ImageStreamTag shop/worker:1.0',
    'resources/shop/CronJob_batch_v1_shop_report.yaml:15 0 CronJob shop/report spec.jobTemplate.spec.template.spec.containers[0].image docker-registry.default.svc:5000/shop/tools:1.0',
    `resources/shop/DeploymentConfig_apps.openshift.io_v1_shop_frontend.yaml:17 0 DeploymentConfig shop/frontend spec.template.spec.containers[0].image ${I}/shop/frontend@${d('a')}`,
    'resources/shop/DeploymentConfig_apps.openshift.io_v1_shop_frontend.yaml:21 0 DeploymentConfig shop/frontend spec.template.spec.containers[1].image quay.io/example/exporter:v2',
    `resources/shop/Deployment_apps_v1_shop_api.json:14 0 Deployment shop/api spec.template.spec.initContainers[0].image ${I}/shop/tools:stable`,
    'resources/shop/Deployment_apps_v1_shop_api.json:20 0 Deployment shop/api spec.template.spec.containers[0].image docker.io/library/busybox:1.36',
    `resources/shop/ImageStreamTag_image.openshift.io_v1_shop_tools:stable.yaml:9 0 ImageStreamTag shop/tools:stable image.dockerImageReference ${I}/shop/tools@${d('b')}`,
    `resources/shop/ImageStream_image.openshift.io_v1_shop_frontend.yaml:16 0 ImageStream shop/frontend status.tags[0].items[0].dockerImageReference ${I}/shop/frontend@${d('a')}`,
    `resources/shop/ImageStream_image.openshift.io_v1_shop_frontend.yaml:20 0 ImageStream shop/frontend status.tags[0].items[1].dockerImageReference ${I}/shop/frontend@${d('9')}`,
    'resources/shop/ImageStream_image.openshift.io_v1_shop_python.yaml:11 0 ImageStream shop/python spec.tags[0].from.name docker.io/library/python:3.11',
    `resources/shop/ImageStream_image.openshift.io_v1_shop_python.yaml:20 0 ImageStream shop/python status.tags[0].items[0].dockerImageReference docker.io/library/python@${d('d')}`,
    'resources/shop/ImageStream_image.openshift.io_v1_shop_tools.yaml:11 0 ImageStream shop/tools spec.tags[0].from.name quay.io/example/tools:latest',
    `resources/shop/ImageStream_image.openshift.io_v1_shop_tools.yaml:18 0 ImageStream shop/tools status.tags[0].items[0].dockerImageReference ${I}/shop/tools@${d('b')}`,
    `resources/shop/ImageStream_image.openshift.io_v1_shop_tools.yaml:22 0 ImageStream shop/tools status.tags[1].items[0].dockerImageReference docker-registry.default.svc:5000/shop/tools@${d('c')}`,
    `resources/shop/ImageStream_image.openshift.io_v1_shop_tools.yaml:26 0 ImageStream shop/tools status.tags[2].items[0].dockerImageReference quay.io/example/tools@${d('f')}`,
    `resources/shop/misc.yaml:19 1 Pod shop/debug spec.containers[0].image ${I}/shop/tools:stable`,
    'resources/shop/misc.yaml:22 1 Pod shop/debug spec.ephemeralContainers[0].image docker.io/library/busybox:1.36',
    'resources/shop/misc.yaml:37 2 StatefulSet shop/db items[0].spec.template.spec.containers[0].image registry.example.com/db/postgres:16',
  ]);
  assert.deepEqual(
    result.errors.map((e) => `${rel(e.file)}:${e.line}`),
    ['resources/shop/broken.yaml:7'],
  );
  assert.ok(!result.files.some((f) => f.includes('failures') || f.includes('.crane-run')), 'failures/ and hidden files are not read');
});

test('scan table and JSON output (golden)', async (t) => {
  const root = await tempDir('ferry-k8s-scan-fmt', t);
  const file = join(root, 'app.yaml');
  await writeFile(
    file,
    `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, namespace: ops}
spec:
  template:
    spec:
      initContainers: [{name: init, image: busybox}]
      containers:
      - name: agent
        image: quay.io/ops/agent:2.1
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec:
      containers:
      - {name: run, image: "localhost:5000/tools/run@sha256:${'0'.repeat(64)}"}
`,
  );
  const result = await scanResources([file]);
  const table = formatScanTable({ ...result, uses: result.uses.map((u) => ({ ...u, file: 'app.yaml' })) });
  const z = '0'.repeat(64);
  assert.equal(
    table,
    [
      'LOCATION     KIND       OBJECT     PATH                                        IMAGE',
      'app.yaml:7   DaemonSet  ops/agent  spec.template.spec.initContainers[0].image  busybox',
      'app.yaml:10  DaemonSet  ops/agent  spec.template.spec.containers[0].image      quay.io/ops/agent:2.1',
      `app.yaml:19  Job        once       spec.template.spec.containers[0].image      localhost:5000/tools/run@sha256:${z}`,
      '',
    ].join('\n'),
  );
  const json = JSON.parse(formatScanJson(result)) as { uses: unknown[]; errors: unknown[]; files: string[] };
  assert.deepEqual(json.files, [file]);
  assert.deepEqual(json.errors, []);
  assert.deepEqual(json.uses[2], {
    file,
    document: 1,
    line: 19,
    column: 28,
    kind: 'Job',
    name: 'once',
    path: 'spec.template.spec.containers[0].image',
    image: `localhost:5000/tools/run@sha256:${'0'.repeat(64)}`,
    refKind: 'DockerImage',
    role: 'container',
  });
});

test('scan reads kubectl-style JSON lists, anchors, and reports unreadable paths', async (t) => {
  const root = await tempDir('ferry-k8s-scan-misc', t);
  await writeFile(
    join(root, 'list.json'),
    JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'ReplicationController', metadata: { name: 'rc' }, spec: { template: { spec: { containers: [{ image: 'a/b:1' }] } } } }] }),
  );
  await writeFile(
    join(root, 'anchors.yml'),
    `kind: ReplicaSet
metadata: {name: rs}
spec:
  template:
    spec:
      containers:
      - {name: a, image: &img reg.example.com/x:1}
      - {name: b, image: *img}
`,
  );
  await writeFile(join(root, 'notes.txt'), 'image: ignored/because:extension\n');
  await writeFile(join(root, 'empty.yaml'), '# nothing here\n');
  const result = await scanResources([root]);
  assert.deepEqual(
    result.uses.map((u) => `${u.kind} ${u.path} ${u.image}`),
    [
      'ReplicaSet spec.template.spec.containers[0].image reg.example.com/x:1',
      'ReplicaSet spec.template.spec.containers[1].image reg.example.com/x:1',
      'ReplicationController items[0].spec.template.spec.containers[0].image a/b:1',
    ],
  );
  await assert.rejects(scanResources([join(root, 'missing')]), (e) => isFerryError(e, 'IO') && e.message.includes('missing'));
});
