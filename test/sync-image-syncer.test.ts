import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeoInspectRaw } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, catalog, file, image, seedAll, syncWithReport, tags } from './fixtures/sync.ts';

/**
 * image-syncer's users bring their command lines and files unchanged: the
 * README's `--auth --images --namespace --registry --retries --log --proc`
 * line, DEFAULT_REGISTRY/DEFAULT_NAMESPACE, empty destinations, the combined
 * `--config` file (JSON and YAML) beside ferry's own YAML, `--os`/`--arch`,
 * and image-syncer's failure semantics (every rule runs, failures retried in
 * passes at the end, exit 1 with the list). skopeo checks every digest.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd');

const SPECS: SyntheticImageSpec[] = [
  image('team/app', 'v1'),
  image('team/app', 'v2'),
  image('team/tools', '1.0'),
  image('team/tools', '2.0'),
  image('multi/app', 'v1', {
    platforms: [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
      { os: 'windows', architecture: 'amd64' },
    ],
  }),
];
const PRIVATE: SyntheticImageSpec[] = [image('private/app', 'v1')];
const store = syntheticStore([...SPECS, ...PRIVATE]);
const USER = 'syncer';
const PASSWORD = 'image-syncer-Pa55-7c1d';

async function digestOf(name: string, tag: string): Promise<string> {
  return (await store.image(name, tag)).top.digest;
}

describe('ferry sync as image-syncer', { skip }, () => {
  let source: RunningRegistry;
  let secured: RunningRegistry;
  let work: string;

  before(async () => {
    [source, secured, work] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { [USER]: PASSWORD } }), tempDir('ferry-image-syncer')]);
    await seedAll(store, source.host, SPECS);
    await seedAll(store, secured.host, PRIVATE, { username: USER, password: PASSWORD });
  });

  after(async () => {
    await Promise.all([source?.stop(), secured?.stop()]);
    if (work) await removeTempDir(work);
  });

  /** image-syncer's auth.json: every registry plain HTTP (`insecure`), the secured one with credentials. */
  const authJson = (dest: RunningRegistry) =>
    JSON.stringify({ [secured.host]: { username: USER, password: PASSWORD, insecure: true }, [source.host]: { insecure: true }, [dest.host]: { insecure: true } }, null, 2);

  test("the README's command line runs unchanged: --auth --images --namespace --registry --retries --log --proc", async (t) => {
    const dest = await startRegistry({ t });
    const dir = await tempDir('ferry-image-syncer-readme', t);
    await file(dir, 'auth.json', authJson(dest));
    await file(
      dir,
      'images.json',
      JSON.stringify({ [`${secured.host}/private/app:v1`]: '', [`${source.host}/team/tools:1.0,2.0`]: '', [`${source.host}/team/app`]: `${dest.host}/explicit/app` }, null, 2),
    );
    const run = await runFerry(['sync', '--auth=./auth.json', '--images=./images.json', '--namespace=ruohe', `--registry=${dest.host}`, '--retries=3', '--log=./log', '--proc=6'], { cwd: dir });
    assert.equal(run.code, 0, explain(run));
    // Empty destinations: default-registry/default-namespace/<repository name>, same tags.
    await assertDigests(dest.host, {
      'ruohe/app:v1': await digestOf('private/app', 'v1'),
      'ruohe/tools:1.0': await digestOf('team/tools', '1.0'),
      'ruohe/tools:2.0': await digestOf('team/tools', '2.0'),
      'explicit/app:v1': await digestOf('team/app', 'v1'),
      'explicit/app:v2': await digestOf('team/app', 'v2'),
    });
    // --log: the messages went to the file, not to stderr.
    const log = await readFile(join(dir, 'log'), 'utf8');
    assert.match(log, /Reading image-syncer images file \.\/images\.json and auth file \.\/auth\.json/);
    assert.match(log, /Plan: 5 images: 5 to copy, 0 already up to date/);
    assert.match(log, /Synced 5 images: 5 copied, 0 skipped, 0 failed/);
    assert.doesNotMatch(run.stderr, /Plan:|Synced/, explain(run));
    for (const text of [log, run.stdout, run.stderr]) assert.ok(!text.includes(PASSWORD), 'the password stays out of the output and the log');
  });

  test('DEFAULT_REGISTRY and DEFAULT_NAMESPACE fill empty destinations; the flags win over them; without either it is an error naming both ways', async (t) => {
    const dest = await startRegistry({ t });
    const auth = await file(work, 'env-auth.json', authJson(dest));
    const images = await file(work, 'env-images.yaml', `${source.host}/team/app:v1: ""\n${source.host}/team/tools:2.0:\n`);
    const env = { DEFAULT_REGISTRY: dest.host, DEFAULT_NAMESPACE: 'from-env' };
    const fromEnv = await runFerry(['sync', '--images', images, '--auth', auth], { env });
    assert.equal(fromEnv.code, 0, explain(fromEnv));
    await assertDigests(dest.host, { 'from-env/app:v1': await digestOf('team/app', 'v1'), 'from-env/tools:2.0': await digestOf('team/tools', '2.0') });
    const flagWins = await runFerry(['sync', '--images', images, '--auth', auth, '--namespace', 'from-flag'], { env });
    assert.equal(flagWins.code, 0, explain(flagWins));
    await assertDigests(dest.host, { 'from-flag/app:v1': await digestOf('team/app', 'v1') });
    assert.deepEqual(await catalog(dest.url), ['from-env/app', 'from-env/tools', 'from-flag/app', 'from-flag/tools']);
    const none = await runFerry(['sync', '--images', images, '--auth', auth], { env: { DEFAULT_NAMESPACE: 'only-namespace' } });
    assert.equal(none.code, 1, explain(none));
    assert.match(none.stderr, /env-images\.yaml:1: empty destination for ".*team\/app:v1", and no default registry and namespace/);
    assert.match(none.stderr, /hint: give --registry and --namespace \(or DEFAULT_REGISTRY and DEFAULT_NAMESPACE\)/);
  });

  test("--config takes image-syncer's combined file (JSON and YAML) and ferry's YAML, says which it read, and names both formats for anything else", async (t) => {
    const dest = await startRegistry({ t });
    const combined = { auth: JSON.parse(authJson(dest)) as unknown, images: { [`${secured.host}/private/app:v1`]: `${dest.host}/cfg-json/app` } };
    const json = await file(work, 'config.json', JSON.stringify(combined, null, 2));
    const fromJson = await runFerry(['sync', `--config=${json}`]);
    assert.equal(fromJson.code, 0, explain(fromJson));
    assert.match(fromJson.stderr, /Reading image-syncer config \(auth \+ images\) .*config\.json/);
    const yaml = await file(
      work,
      'config.yaml',
      ['auth:', `  ${secured.host}: {username: ${USER}, password: ${PASSWORD}, insecure: true}`, `  ${dest.host}: {insecure: true}`, 'images:', `  ${secured.host}/private/app:v1: ""`, ''].join('\n'),
    );
    const fromYaml = await runFerry(['sync', '--config', yaml, '--registry', dest.host, '--namespace', 'cfg-yaml']);
    assert.equal(fromYaml.code, 0, explain(fromYaml));
    assert.match(fromYaml.stderr, /Reading image-syncer config \(auth \+ images\) .*config\.yaml/);
    const ferry = await file(work, 'ferry.yaml', `registries:\n  "${source.host}": {tls-verify: false}\n  "${dest.host}": {tls-verify: false}\nsync:\n  - from: ${source.host}/team/tools\n    tags: ["1.0"]\n    to: "${dest.host}/cfg-ferry"\n`);
    const fromFerry = await runFerry(['sync', '--config', ferry]);
    assert.equal(fromFerry.code, 0, explain(fromFerry));
    assert.match(fromFerry.stderr, /Reading ferry sync YAML .*ferry\.yaml/);
    const digest = await digestOf('private/app', 'v1');
    await assertDigests(dest.host, { 'cfg-json/app:v1': digest, 'cfg-yaml/app:v1': digest, 'cfg-ferry/team/tools:1.0': await digestOf('team/tools', '1.0') });
    const neither = await file(work, 'neither.yaml', 'mirrors:\n  - quay.io/a/b\n');
    const refused = await runFerry(['sync', '--config', neither]);
    assert.equal(refused.code, 1, explain(refused));
    assert.match(refused.stderr, /neither\.yaml: neither a ferry sync YAML nor an image-syncer config: its top-level keys are mirrors/);
    assert.match(refused.stderr, /hint: a ferry sync YAML has registries:, defaults: and sync: .*an image-syncer config has auth: and images:/);
  });

  test('failures as image-syncer has them: every rule runs, a missing repository fails its own rule only, failures are retried in passes at the end, exit 1 with the list', async (t) => {
    const dest = await startRegistry({ t });
    const proxy: RunningProxy = await startProxy({ upstream: source.url });
    t.after(() => proxy.stop());
    // The first two GETs of team/tools' manifest fail, and requests are not retried (--retry-times 0): only the passes can copy it.
    const fault = proxy.addFault({ type: 'status', status: 503, times: 2, match: { method: 'GET', kind: 'manifest', path: '/team/tools/' } });
    const auth = await file(work, 'fail-auth.json', JSON.stringify({ [proxy.host]: { insecure: true }, [dest.host]: { insecure: true } }));
    const images = await file(
      work,
      'fail-images.json',
      JSON.stringify({ [`${proxy.host}/team/missing`]: `${dest.host}/f/missing`, [`${proxy.host}/team/app:v1,gone`]: `${dest.host}/f/app`, [`${proxy.host}/team/tools:2.0`]: `${dest.host}/f/tools` }),
    );
    const { run, report } = await syncWithReport(work, 'image-syncer-failures', ['--images', images, '--auth', auth, '--retry-times', '0', '--retries=3', '--proc=1']);
    assert.equal(run.code, 1, explain(run));
    assert.ok(report, explain(run));
    await assertDigests(dest.host, { 'f/app:v1': await digestOf('team/app', 'v1'), 'f/tools:2.0': await digestOf('team/tools', '2.0') });
    assert.equal(fault.hits, 2);
    assert.match(run.stderr, /retry pass 1 of 3: retrying 1 failed image\n/);
    assert.match(run.stderr, /retry pass 2 of 3: retrying 1 failed image\n/);
    assert.doesNotMatch(run.stderr, /retry pass 3 of 3/, 'no pass once nothing is left to retry');
    assert.deepEqual(report.totals, { ...report.totals, images: 4, copied: 2, failed: 2, notRun: 0 });
    const failed = report.images.filter((i) => i.status === 'failed').map((i) => i.source).sort();
    assert.deepEqual(failed, [`${proxy.host}/team/missing`, `docker://${proxy.host}/team/app:gone`]);
    assert.match(run.stderr, /ferry: 2 images failed:\n {2}.*team\/missing.*\n {2}.*team\/app:gone/);
    assert.deepEqual(await tags(dest.url, 'f/missing'), []);
  });

  test('--os and --arch keep the instances image-syncer would keep; all of them keep the index as it is', async (t) => {
    const dest = await startRegistry({ t });
    const auth = await file(work, 'platform-auth.json', JSON.stringify({ [source.host]: { insecure: true }, [dest.host]: { insecure: true } }));
    const images = await file(work, 'platform-images.json', JSON.stringify({ [`${source.host}/multi/app:v1`]: '' }));
    const arm = await runFerry(['sync', '--images', images, '--auth', auth, '--registry', dest.host, '--namespace', 'arm', '--arch=arm64']);
    assert.equal(arm.code, 0, explain(arm));
    const armIndex = (await skopeoInspectRaw(`docker://${dest.host}/arm/app:v1`, { tlsVerify: false })) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
    assert.deepEqual(armIndex.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`), ['linux/arm64']);
    const linux = await runFerry(['sync', '--images', images, '--auth', auth, '--registry', dest.host, '--namespace', 'linux', '--os', 'linux', '--arch', 'amd64,arm64']);
    assert.equal(linux.code, 0, explain(linux));
    const linuxIndex = (await skopeoInspectRaw(`docker://${dest.host}/linux/app:v1`, { tlsVerify: false })) as { manifests: Array<{ platform: { os: string; architecture: string } }> };
    assert.deepEqual(linuxIndex.manifests.map((m) => `${m.platform.os}/${m.platform.architecture}`).sort(), ['linux/amd64', 'linux/arm64']);
    const every = await runFerry(['sync', '--images', images, '--auth', auth, '--registry', dest.host, '--namespace', 'every', '--os=linux,windows']);
    assert.equal(every.code, 0, explain(every));
    await assertDigests(dest.host, { 'every/app:v1': await digestOf('multi/app', 'v1') });
    const none = await runFerry(['sync', '--images', images, '--auth', auth, '--registry', dest.host, '--namespace', 'none', '--arch=riscv64']);
    assert.equal(none.code, 1, explain(none));
    assert.match(none.stderr, /no instance for arch riscv64/);
    assert.match(none.stderr, /hint: available: linux\/amd64, linux\/arm64\/v8, windows\/amd64; change --os\/--arch/);
  });
});
