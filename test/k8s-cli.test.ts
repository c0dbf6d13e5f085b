import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { INTERNAL, writeCraneExport } from './fixtures/k8s-export.ts';
import { runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** `bin/ferry ARGS…` as a process, as a user runs it: exit code, stdout and stderr. */
async function ferry(...args: string[]): Promise<{ code: number | null; out: string; info: string }> {
  const run = await runFerry(args);
  return { code: run.code, out: run.stdout, info: run.stderr };
}

const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

test('ferry k8s scan: table, --json, exit 1 when a file is broken', async (t) => {
  const root = await tempDir('ferry-k8s-cli-scan', t);
  await writeCraneExport(root);
  const table = await ferry('k8s', 'scan', root);
  assert.equal(table.code, EXIT.failure);
  assert.match(table.out, /^LOCATION +KIND +OBJECT +PATH +IMAGE\n/);
  assert.match(table.out, /error: .*broken\.yaml:7:1: /);
  const json = await ferry('k8s', 'scan', '--json', join(root, 'resources', 'shop', 'CronJob_batch_v1_shop_report.yaml'));
  assert.equal(json.code, EXIT.ok);
  assert.equal((JSON.parse(json.out) as { uses: { image: string }[] }).uses[0]!.image, 'docker-registry.default.svc:5000/shop/tools:1.0');
  assert.equal((await ferry('k8s', 'scan', join(root, 'nope'))).code, EXIT.failure);
});

test('ferry k8s sync-gen: YAML, --explain, usage errors exit 2', async (t) => {
  const root = await tempDir('ferry-k8s-cli-syncgen', t);
  await writeCraneExport(root);
  const gen = await ferry('k8s', 'sync-gen', '--export-dir', root, '--registry-url', 'route.apps.example.com', '--tls-verify=false');
  assert.equal(gen.out, 'route.apps.example.com:\n  images:\n    shop/frontend:\n      - latest\n    shop/tools:\n      - stable\n      - "1.0"\n  tls-verify: false\n');
  assert.equal(gen.code, EXIT.failure, 'the broken file makes the run fail, after printing');
  assert.match(gen.info, /3 of 8 ImageStream tags staged/);
  const explain = await ferry('k8s', 'sync-gen', '--export-dir', root, '--registry-url', 'route.apps.example.com', '--explain');
  assert.match(explain.out, /^TAG +CLASS +ACTION +REASON\n/);
  assert.match(explain.out, /shop\/tools:upstream +public +skip/);
  assert.equal((await ferry('k8s', 'sync-gen', '--export-dir', root)).code, EXIT.usage);
  assert.equal((await ferry('k8s', 'sync-gen', '--export-dir', root, '--registry-url', 'https://x.example.com')).code, EXIT.usage);
});

test('ferry k8s rewrite: --dry-run diff, --in-place, usage errors', async (t) => {
  const root = await tempDir('ferry-k8s-cli-rewrite', t);
  const file = join(root, 'pod.yaml');
  const text = `kind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - image: ${INTERNAL}/n/app:1 # app\n`;
  await writeFile(file, text);
  const dry = await ferry('k8s', 'rewrite', '--replace', `${INTERNAL}=new.example.com`, '--dry-run', file);
  assert.equal(dry.code, EXIT.ok);
  assert.equal(dry.out, `--- a/${file}\n+++ b/${file}\n@@ -2,4 +2,4 @@\n metadata: {name: p, namespace: n}\n spec:\n   containers:\n-  - image: ${INTERNAL}/n/app:1 # app\n+  - image: new.example.com/n/app:1 # app\n`);
  assert.match(dry.info, /1 image reference rewritten in 1 of 1 file$/m);
  assert.equal(await readFile(file, 'utf8'), text);

  const inPlace = await ferry('k8s', 'rewrite', '--replace', `${INTERNAL}=new.example.com`, '--in-place', file);
  assert.equal(inPlace.code, EXIT.ok);
  assert.equal(await readFile(file, 'utf8'), text.replace(`${INTERNAL}/n/app:1`, 'new.example.com/n/app:1'));
  assert.match(inPlace.out, /pod\.yaml: 1 image reference rewritten\n {2}line 5 {2}Pod n\/p {2}spec\.containers\[0\]\.image\n/);

  assert.equal((await ferry('k8s', 'rewrite', '--replace', 'a.io=b.io', file)).code, EXIT.usage, 'needs --out or --in-place');
  assert.equal((await ferry('k8s', 'rewrite', '--replace', 'a.io=b.io', '--in-place', '--out', root, file)).code, EXIT.usage);
  assert.equal((await ferry('k8s', 'rewrite', '--in-place', file)).code, EXIT.usage, 'needs a rule or pins');
  assert.equal((await ferry('k8s', 'rewrite', '--replace', 'nonsense', '--in-place', file)).code, EXIT.usage);
});

test('ferry k8s mirror-config writes into --out', async (t) => {
  const root = await tempDir('ferry-k8s-cli-mirror', t);
  const report = join(root, 'report.json');
  await writeFile(report, JSON.stringify({ images: [{ source: 'quay.io/a/b:1', destination: 'm.example.com/a/b:1', digest: `sha256:${'1'.repeat(64)}`, status: 'copied', bytes: 1 }] }));
  const run = await ferry('k8s', 'mirror-config', '--report', report, '--out', join(root, 'cr'));
  assert.equal(run.code, EXIT.ok, run.info);
  assert.equal(run.out, ['imagecontentsourcepolicy.yaml', 'imagedigestmirrorset.yaml', 'imagetagmirrorset.yaml', 'registries.conf'].map((f) => join(root, 'cr', f)).join('\n') + '\n');
  assert.equal((await ferry('k8s', 'mirror-config', '--report', join(root, 'missing.json'))).code, EXIT.failure);
});
