import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { scanResources } from '../src/k8s/scan.ts';
import { syncGen } from '../src/k8s/sync-gen.ts';
import { INTERNAL, INTERNAL3, writeCraneExport } from './fixtures/k8s-export.ts';
import { pushTestImage } from './fixtures/k8s-images.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';

/**
 * The migration end to end: a registry stands in for the source cluster's
 * registry route, export → sync-gen → sync into a second registry → rewrite
 * → every rewritten workload reference resolves in the destination (checked
 * with skopeo). skopeo only checks that it accepts the generated YAML; the
 * sync, the rewrite and the digest pins go through the ferry CLI, the pins
 * from the report `ferry sync --report` wrote.
 */
test('export → sync-gen → sync → rewrite → references resolve in the destination', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const source = await startRegistry({ t });
  const dest = await startRegistry({ t });
  const digests = {
    frontend: await pushTestImage(source.host, 'shop/frontend', 'latest', 'e2e-frontend'),
    toolsStable: await pushTestImage(source.host, 'shop/tools', 'stable', 'e2e-tools-stable'),
    tools10: await pushTestImage(source.host, 'shop/tools', '1.0', 'e2e-tools-10'),
  };
  // An image the cluster registry holds but no ImageStream stages must not move.
  await pushTestImage(source.host, 'openshift/nodejs', '18', 'e2e-nodejs');
  const root = await tempDir('ferry-k8s-e2e', t);
  const exportDir = join(root, 'export');
  await writeCraneExport(exportDir, digests);

  const gen = await syncGen({ exportDir, registryUrl: source.host, tlsVerify: false });
  const yamlFile = join(root, 'sync.yaml');
  await writeFile(yamlFile, gen.yaml);
  const dry = await runSkopeo(['sync', '--dry-run', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yamlFile, `${dest.host}/shop`]);
  assert.equal(dry.code, 0, dry.stderr);
  const report = join(root, 'report.json');
  const sync = await runFerry(['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--report', report, yamlFile, `${dest.host}/shop`]);
  assert.equal(sync.code, 0, explain(sync));

  const outDir = join(root, 'out');
  const rewrite = await runFerry(['k8s', 'rewrite', '--replace', `${INTERNAL}=${dest.host}`, '--replace', `${INTERNAL3}=${dest.host}`, '--out', outDir, join(exportDir, 'resources', 'shop')]);
  // The export holds one broken file on purpose: it is reported (exit 1) and everything else is rewritten.
  assert.equal(rewrite.code, 1, explain(rewrite));
  assert.match(rewrite.stdout + rewrite.stderr, /broken\.yaml:7:1: .*left unchanged/);
  const scanned = await scanResources([outDir]);
  const workloads = scanned.uses.filter((u) => u.role === 'container' || u.role === 'initContainer' || u.role === 'ephemeralContainer');
  const moved = workloads.filter((u) => u.image.startsWith(`${dest.host}/`));
  assert.deepEqual(moved.map((u) => `${u.kind}/${u.name}`).sort(), ['CronJob/report', 'Deployment/api', 'DeploymentConfig/frontend', 'Pod/debug']);
  for (const use of moved) {
    const digest = await skopeoInspectDigest(`docker://${use.image}`, { tlsVerify: false });
    const expected = use.image.includes('frontend') ? digests.frontend : use.image.endsWith(':1.0') ? digests.tools10 : digests.toolsStable;
    assert.equal(digest, expected, `${use.kind}/${use.name} ${use.image}`);
  }
  const notStaged = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/shop/nodejs:18`]);
  assert.notEqual(notStaged.code, 0, 'openshift-namespace images are not copied');

  // Pin the rewritten tags to the digests ferry sync recorded in its report.
  const pin = await runFerry(['k8s', 'rewrite', '--pin-digests', report, '--in-place', outDir]);
  assert.equal(pin.code, 1, explain(pin)); // the broken file again, copied unchanged into the output tree
  const pinned = (await scanResources([outDir])).uses.filter((u) => u.role === 'container' || u.role === 'initContainer');
  const tools = pinned.filter((u) => u.image.startsWith(`${dest.host}/shop/tools`));
  assert.ok(tools.length >= 2, JSON.stringify(pinned.map((u) => u.image)));
  for (const use of tools) {
    assert.match(use.image, /@sha256:[0-9a-f]{64}$/, `${use.kind}/${use.name} is pinned`);
    assert.equal(await skopeoInspectDigest(`docker://${use.image}`, { tlsVerify: false }), use.image.slice(use.image.indexOf('@') + 1));
  }
});
