import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../errors.ts';
import { digestPins, pinDigest } from './digest-pins.ts';
import { applyReplaceRules, matchPrefix, orderRules, parseReplaceRule } from './replace-rules.ts';
import { formatRewriteDiff, formatRewriteSummary, rewriteResources } from './rewrite-files.ts';
import { rewriteText } from './rewrite.ts';
import { parseSyncReport } from './sync-report.ts';
import { craneExportFiles, INTERNAL, INTERNAL3, writeCraneExport } from '../../test/fixtures/k8s-export.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

const rules = (...specs: string[]) => orderRules(specs.map(parseReplaceRule));
const D = (c: string) => `sha256:${c.repeat(64)}`;

test('FROM matches on whole path segments', () => {
  const cases: [string, string, string | undefined][] = [
    ['old-reg/ns-a/app:1', 'old-reg/ns-a', '/app:1'],
    ['old-reg/ns-a:tag', 'old-reg/ns-a', ':tag'],
    [`old-reg/ns-a@${D('1')}`, 'old-reg/ns-a', `@${D('1')}`],
    ['old-reg/ns-a', 'old-reg/ns-a', ''],
    ['old-reg/ns-ab/app:1', 'old-reg/ns-a', undefined],
    ['old-reg/ns-a.b:1', 'old-reg/ns-a', undefined],
    ['reg.example.com:5000/app', 'reg.example.com', undefined], // the colon starts a port, not a tag
    ['reg.example.com:5000/app', 'reg.example.com:5000', '/app'],
    ['reg.example.com:5000/app', 'reg.example.com:50', undefined],
    ['other.example.com/app', 'reg.example.com', undefined],
  ];
  for (const [image, from, want] of cases) assert.equal(matchPrefix(image, from), want, `${from} on ${image}`);
});

test('rules: longest FROM first, normalised Docker Hub names, first match wins', () => {
  const r = rules('reg.example.com=a.example.com', 'reg.example.com/team=b.example.com/t2', 'docker.io=mirror.local/hub', 'docker.io/library/nginx=mirror.local/nginx');
  const apply = (image: string) => applyReplaceRules(image, r)?.image;
  assert.equal(apply('reg.example.com/team/app:1'), 'b.example.com/t2/app:1');
  assert.equal(apply('reg.example.com/other/app:1'), 'a.example.com/other/app:1');
  assert.equal(apply('reg.example.com/teamwork/app:1'), 'a.example.com/teamwork/app:1');
  assert.equal(apply('nginx:1.25'), 'mirror.local/nginx:1.25');
  assert.equal(apply('busybox'), 'mirror.local/hub/library/busybox');
  assert.equal(apply('bitnami/redis:7'), 'mirror.local/hub/bitnami/redis:7');
  assert.equal(apply('quay.io/x/y:1'), undefined);
  assert.equal(apply('${IMAGE}'), undefined);
  assert.deepEqual(parseReplaceRule(' a.example.com/ = b.example.com/x/ '), { from: 'a.example.com', to: 'b.example.com/x' });
  for (const bad of ['noequals', '=to', 'from=', 'a b=c']) assert.throws(() => parseReplaceRule(bad), (e) => isFerryError(e, 'USAGE'), bad);
  assert.throws(() => rules('a.io=b.io', 'a.io=c.io'), (e) => isFerryError(e, 'USAGE'));
});

/** Lines that differ between two texts of the same line count. */
function changedLines(before: string, after: string): number[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(a.length, b.length, 'line count unchanged');
  return a.flatMap((line, i) => (line === b[i] ? [] : [i + 1]));
}

test('YAML keeps comments, order, quoting and formatting; only image scalars change', () => {
  const files = craneExportFiles();
  const dc = files['resources/shop/DeploymentConfig_apps.openshift.io_v1_shop_frontend.yaml']!;
  const out = rewriteText('dc.yaml', dc, { rules: rules(`${INTERNAL}=new.example.com/apps`, 'quay.io/example=new.example.com/ext') });
  assert.deepEqual(changedLines(dc, out.updated), [17, 21]);
  assert.equal(out.updated.split('\n')[16], `        image: new.example.com/apps/shop/frontend@${D('a')}`);
  assert.equal(out.updated.split('\n')[20], '        image: "new.example.com/ext/exporter:v2"  # sidecar, stays where it is');
  assert.equal(out.updated.replace(`new.example.com/apps/shop/frontend@${D('a')}`, `${INTERNAL}/shop/frontend@${D('a')}`).replace('new.example.com/ext/exporter', 'quay.io/example/exporter'), dc);

  const cron = files['resources/shop/CronJob_batch_v1_shop_report.yaml']!;
  const cronOut = rewriteText('cron.yaml', cron, { rules: rules(`${INTERNAL3}=${INTERNAL}`) });
  assert.deepEqual(changedLines(cron, cronOut.updated), [15]);
  assert.equal(cronOut.updated.split('\n')[14], `            image: '${INTERNAL}/shop/tools:1.0'`);

  // ImageStreamTag references are object names, not registries: left alone.
  const builds = files['resources/shop/BuildConfig_build.openshift.io_v1_shop_builds.yaml']!;
  const buildsOut = rewriteText('b.yaml', builds, { rules: rules('registry.access.redhat.com=mirror.example.com/rh', 'frontend=x.example.com/frontend', 'nodejs=x.example.com/nodejs') });
  assert.deepEqual(buildsOut.changes.map((c) => `${c.use.path} ${c.to}`), ['items[1].spec.strategy.dockerStrategy.from.name mirror.example.com/rh/ubi9/ubi:latest']);
});

test('JSON stays JSON with its indentation', () => {
  const json = craneExportFiles()['resources/shop/Deployment_apps_v1_shop_api.json']!;
  const out = rewriteText('api.json', json, { rules: rules(`${INTERNAL}=new.example.com:5000/apps`, 'docker.io=hub.example.com') });
  assert.deepEqual(changedLines(json, out.updated), [14, 20]);
  const parsed = JSON.parse(out.updated) as { spec: { template: { spec: { initContainers: { image: string }[]; containers: { image: string }[] } } } };
  assert.equal(parsed.spec.template.spec.initContainers[0]!.image, 'new.example.com:5000/apps/shop/tools:stable');
  assert.equal(parsed.spec.template.spec.containers[0]!.image, 'hub.example.com/library/busybox:1.36');
  assert.equal(out.updated, `${JSON.stringify(parsed, null, 4)}\n`);
});

test('plain scalars that would need quoting get double quotes; flow maps, anchors and block scalars survive', () => {
  const text = `kind: Pod
metadata: {name: p}
spec:
  containers:
  - {name: a, image: old.example.com/a:1}   # flow
  - name: b
    image: &shared old.example.com/b:1
  - name: c
    image: *shared
  initContainers:
  - name: d
    image: |-
      old.example.com/d:1
  - name: e
    image: old.example.com/e:1
`;
  const out = rewriteText('p.yaml', text, { rules: rules('old.example.com=new.example.com/x,y') });
  // A "," would end a plain scalar inside a flow map: the value is double-quoted so it still reads back.
  assert.match(out.updated, /\{name: a, image: "new\.example\.com\/x,y\/a:1"\} {3}# flow/);
  assert.match(out.updated, /image: &shared "new\.example\.com\/x,y\/b:1"\n/);
  const simple = rewriteText('p.yaml', text, { rules: rules('old.example.com=new.example.com') });
  assert.equal(
    simple.updated,
    text
      .replace('old.example.com/a:1', 'new.example.com/a:1')
      .replace('&shared old.example.com/b:1', '&shared new.example.com/b:1')
      .replace('|-\n      old.example.com/d:1\n', '"new.example.com/d:1"\n')
      .replace('old.example.com/e:1', 'new.example.com/e:1'),
  );
  assert.equal(simple.changes.length, 5, 'the aliased field is reported too');
});

test('pin-digests replaces tags with the digests of a sync report', () => {
  const report = parseSyncReport('report.json', JSON.stringify({
    images: [
      { source: 'docker://src.example.com/shop/tools:stable', destination: 'docker://new.example.com/shop/tools:stable', digest: D('b'), status: 'copied', bytes: 10 },
      { source: 'src.example.com/shop/web', destination: 'new.example.com/shop/web:latest', digest: D('c'), status: 'skipped', bytes: 0 },
      { source: 'src.example.com/shop/bad:1', destination: 'new.example.com/shop/bad:1', digest: D('d'), status: 'failed', bytes: 0 },
      { source: 'src.example.com/shop/x:1', destination: 'oci:/srv/store:x', digest: D('e'), status: 'copied', bytes: 0 },
    ],
    totals: { images: 4 },
  }));
  const pins = digestPins(report);
  assert.deepEqual([...pins.byDestination.keys()], ['new.example.com/shop/tools:stable', 'new.example.com/shop/web:latest']);
  assert.equal(pinDigest('new.example.com/shop/tools:stable', pins), `new.example.com/shop/tools@${D('b')}`);
  assert.equal(pinDigest('new.example.com/shop/web', pins), `new.example.com/shop/web@${D('c')}`);
  assert.equal(pinDigest(`new.example.com/shop/web@${D('1')}`, pins), undefined);
  assert.equal(pinDigest('new.example.com/shop/bad:1', pins), undefined);

  const pod = `kind: Pod
spec:
  containers:
  - image: old.example.com/shop/tools:stable # pinned after replace
  - image: new.example.com/shop/web
  - image: old.example.com/shop/bad:1
`;
  const out = rewriteText('pod.yaml', pod, { rules: rules('old.example.com=new.example.com'), pins });
  assert.equal(
    out.updated,
    `kind: Pod
spec:
  containers:
  - image: new.example.com/shop/tools@${D('b')} # pinned after replace
  - image: new.example.com/shop/web@${D('c')}
  - image: new.example.com/shop/bad:1
`,
  );
  assert.deepEqual(out.changes.map((c) => c.pinned), [true, true, false]);
  assert.throws(() => parseSyncReport('r.json', '{"images":[{"source":"a"}]}'), (e) => isFerryError(e, 'INVALID_CONFIG') && e.message.includes('r.json'));
  assert.throws(() => parseSyncReport('r.json', 'not json'), (e) => isFerryError(e, 'INVALID_CONFIG'));
});

test('pin-digests matches by source repository and tag when a --replace maps one internal name to another (the crane case)', () => {
  const SVC = 'image-registry.openshift-image-registry.svc:5000';
  const report = parseSyncReport('report.json', JSON.stringify({
    images: [
      { source: 'docker://route.src.example.com/source/app:v1', destination: 'docker://route.dst.example.com/moved/app:v1', digest: D('a'), status: 'copied' },
      { source: 'docker://route.src.example.com/source/db:1', destination: 'docker://route.dst.example.com/destination/db:1', digest: D('b'), status: 'skipped' },
      // Two sources with one repository:tag and different digests: ambiguous without the registry, so never pinned that way.
      { source: 'docker://one.example.com/twin/x:1', destination: 'docker://route.dst.example.com/destination/x1:1', digest: D('c'), status: 'copied' },
      { source: 'docker://two.example.com/twin/x:1', destination: 'docker://route.dst.example.com/destination/x2:1', digest: D('d'), status: 'copied' },
    ],
  }));
  const pins = digestPins(report);
  assert.equal(pins.entries, 4);
  const pod = `kind: Pod
spec:
  containers:
  - image: ${SVC}/source/app:v1
  - image: ${SVC}/destination/db:1
  - image: ${SVC}/twin/x:1
  - image: route.dst.example.com/destination/db:1
  - image: elsewhere.example.com/source/app:v1
`;
  const out = rewriteText('pod.yaml', pod, { rules: rules(`${SVC}/source=${SVC}/destination`, `${SVC}/twin=${SVC}/destination/twin`), pins });
  assert.equal(
    out.updated,
    `kind: Pod
spec:
  containers:
  - image: ${SVC}/destination/app@${D('a')}
  - image: ${SVC}/destination/db:1
  - image: ${SVC}/destination/twin/x:1
  - image: route.dst.example.com/destination/db@${D('b')}
  - image: elsewhere.example.com/source/app:v1
`,
    'matched by source repository (app), not for an untouched internal name (db), never when ambiguous (x), exact destinations as before, no host-free match for images no rule moved',
  );
});

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) out[relative(dir, join(entry.parentPath, entry.name))] = await readFile(join(entry.parentPath, entry.name), 'utf8');
  }
  return out;
}

test('rewrite --out writes a complete tree; --in-place only changed files; --dry-run nothing', async (t) => {
  const root = await tempDir('ferry-k8s-rewrite', t);
  const exportDir = join(root, 'export');
  const files = await writeCraneExport(exportDir);
  const replace = rules(`${INTERNAL}=new.example.com/apps`, `${INTERNAL3}=new.example.com/apps`);

  const outDir = join(root, 'out');
  const result = await rewriteResources([join(exportDir, 'resources')], { rules: replace, output: { mode: 'out', dir: outDir } });
  const written = await tree(outDir);
  const resources = Object.keys(files).filter((f) => f.startsWith('resources/')).map((f) => f.slice('resources/'.length)).sort();
  assert.deepEqual(Object.keys(written).sort(), resources);
  assert.equal(written['shop/broken.yaml'], files['resources/shop/broken.yaml'], 'broken files are copied unchanged');
  assert.equal(written['shop/ImageStream_image.openshift.io_v1_shop_python.yaml'], files['resources/shop/ImageStream_image.openshift.io_v1_shop_python.yaml']);
  assert.match(written['shop/CronJob_batch_v1_shop_report.yaml']!, /image: 'new\.example\.com\/apps\/shop\/tools:1\.0'/);
  assert.equal((await tree(exportDir))['resources/shop/CronJob_batch_v1_shop_report.yaml'], files['resources/shop/CronJob_batch_v1_shop_report.yaml'], 'sources untouched');

  const summary = formatRewriteSummary(result);
  assert.match(summary, /CronJob_batch_v1_shop_report\.yaml -> .*: 1 image reference rewritten\n {2}line 15 {2}CronJob shop\/report {2}spec\.jobTemplate\.spec\.template\.spec\.containers\[0\]\.image\n {4}docker-registry\.default\.svc:5000\/shop\/tools:1\.0 -> new\.example\.com\/apps\/shop\/tools:1\.0\n/);
  assert.match(summary, /error: .*broken\.yaml:7:1: /);
  assert.match(summary, /10 image references rewritten in 8 of 12 files\n$/);

  const dry = await rewriteResources([exportDir], { rules: replace, output: { mode: 'dry-run' } });
  const diff = formatRewriteDiff(dry);
  assert.match(diff, /^--- a\/.*\n\+\+\+ b\/.*\n@@ /);
  assert.equal((await tree(exportDir))['resources/shop/CronJob_batch_v1_shop_report.yaml'], files['resources/shop/CronJob_batch_v1_shop_report.yaml'], 'dry run writes nothing');

  const before = await stat(join(exportDir, 'resources/shop/ImageStream_image.openshift.io_v1_shop_python.yaml'));
  await rewriteResources([exportDir], { rules: replace, output: { mode: 'in-place' } });
  const after = await tree(exportDir);
  assert.deepEqual(after, Object.fromEntries(Object.entries(await tree(outDir)).map(([k, v]) => [`resources/${k}`, v]).concat([['.crane-run.json', files['.crane-run.json']!], ['failures/shop/Pod_v1_shop_failed.yaml', files['failures/shop/Pod_v1_shop_failed.yaml']!]])));
  const afterStat = await stat(join(exportDir, 'resources/shop/ImageStream_image.openshift.io_v1_shop_python.yaml'));
  assert.equal(afterStat.mtimeMs, before.mtimeMs, 'unchanged files are not rewritten in place');
});

test('rewrite --out refuses two inputs that map to one output file', async (t) => {
  const root = await tempDir('ferry-k8s-rewrite-clash', t);
  await mkdir(join(root, 'a'));
  await mkdir(join(root, 'b'));
  await writeFile(join(root, 'a', 'x.yaml'), 'kind: Pod\n');
  await writeFile(join(root, 'b', 'x.yaml'), 'kind: Pod\n');
  await assert.rejects(
    rewriteResources([join(root, 'a'), join(root, 'b')], { rules: rules('a.io=b.io'), output: { mode: 'out', dir: join(root, 'out') } }),
    (e) => isFerryError(e, 'USAGE') && e.message.includes('x.yaml'),
  );
});
