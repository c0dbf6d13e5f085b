import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, catalog, file, image, PLAIN, seedAll, syncWithReport } from './fixtures/sync.ts';

/**
 * What goes wrong: a missing source tag with and without `--keep-going`,
 * malformed inputs of every format (refused before anything is copied, with
 * file:line and what is wrong), and credentials that must never reach the
 * output or the report.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd');

const SPECS: SyntheticImageSpec[] = [image('team/app', 'v1'), image('team/app', 'v2'), image('team/tools', '1.0')];
const PRIVATE: SyntheticImageSpec[] = [image('private/app', 'v1')];
const store = syntheticStore([...SPECS, ...PRIVATE]);
const USER = 'robot';
/** Distinctive, so any leak is found by a plain substring search. */
const PASSWORD = 'S3cr3t-Pa55-9f2c1e';

async function digestOf(name: string, tag: string): Promise<string> {
  return (await store.image(name, tag)).top.digest;
}

describe('ferry sync failures', { skip }, () => {
  let source: RunningRegistry;
  let secured: RunningRegistry;
  let work: string;

  before(async () => {
    [source, secured, work] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { [USER]: PASSWORD } }), tempDir('ferry-sync-failures')]);
    await seedAll(store, source.host, SPECS);
    await seedAll(store, secured.host, PRIVATE, { username: USER, password: PASSWORD });
  });

  after(async () => {
    await Promise.all([source?.stop(), secured?.stop()]);
    if (work) await removeTempDir(work);
  });

  describe('a missing source tag', () => {
    let dest: RunningRegistry;
    before(async () => {
      dest = await startRegistry();
    });
    after(() => dest?.stop());

    test('--keep-going (mapping file): the others are copied, exit 1, the report and stderr name the failed one with its reason', async () => {
      const mapping = await file(
        work,
        'missing.txt',
        [`${source.host}/team/app:v1 ${dest.host}/kg/app`, `${source.host}/team/app:nope ${dest.host}/kg/app`, `${source.host}/team/tools:1.0 ${dest.host}/kg/tools`].join('\n'),
      );
      const { run, report } = await syncWithReport(work, 'keep-going', ['--mapping', mapping, ...PLAIN, '--keep-going']);
      assert.equal(run.code, 1, explain(run));
      assert.ok(report, explain(run));
      await assertDigests(dest.host, { 'kg/app:v1': await digestOf('team/app', 'v1'), 'kg/tools:1.0': await digestOf('team/tools', '1.0') });
      assert.deepEqual(report.totals, { ...report.totals, images: 3, copied: 2, failed: 1 });
      const failed = report.images.filter((i) => i.status === 'failed');
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.source, /team\/app:nope/);
      assert.equal(failed[0]!.destination, `docker://${dest.host}/kg/app:nope`);
      assert.match(failed[0]!.reason ?? '', /manifest unknown|not found|does not exist/i);
      assert.match(run.stderr, /Plan: 3 images: 2 to copy, 0 already up to date, 1 failed to resolve/);
      assert.match(run.stderr, /Synced 3 images: 2 copied, 0 skipped, 1 failed;/, 'the summary counts what the plan line counted');
      assert.match(run.stderr, /ferry: 1 image failed:/);
      assert.match(run.stderr, /team\/app:nope.*(manifest unknown|not found|does not exist)/i);
    });

    test('--keep-going (image-syncer file): the same, for a tag list naming one tag that does not exist', async () => {
      const images = await file(work, 'missing-images.yaml', `${source.host}/team/app:v2,gone: ${dest.host}/kgi/app\n`);
      const { run, report } = await syncWithReport(work, 'keep-going-images', ['--images', images, ...PLAIN, '--keep-going']);
      assert.equal(run.code, 1, explain(run));
      assert.ok(report);
      assert.equal(report.totals.copied, 1);
      assert.equal(report.totals.failed, 1);
      assert.match(report.images.find((i) => i.status === 'failed')?.source ?? '', /team\/app:gone/);
      await assertDigests(dest.host, { 'kgi/app:v2': await digestOf('team/app', 'v2') });
    });

    test(
      '--keep-going past a rule whose repository does not exist: the other rules still run',
      async () => {
        const images = await file(work, 'missing-repo.yaml', `${source.host}/team/none: ${dest.host}/kgr/none\n${source.host}/team/tools: ${dest.host}/kgr/tools\n`);
        const { run, report } = await syncWithReport(work, 'keep-going-repo', ['--images', images, ...PLAIN, '--keep-going']);
        assert.equal(run.code, 1, explain(run));
        assert.ok(report, explain(run));
        assert.equal(report.totals.copied, 1);
        assert.ok(report.images.some((i) => i.status === 'failed' && /team\/none/.test(i.source)), JSON.stringify(report.images));
        await assertDigests(dest.host, { 'kgr/tools:1.0': await digestOf('team/tools', '1.0') });
      },
    );

    test('without --keep-going the run fails with a clear message naming the image', async () => {
      const mapping = await file(work, 'missing-stop.txt', `${source.host}/team/app:nope ${dest.host}/stop/app\n`);
      const run = await runFerry(['sync', '--mapping', mapping, ...PLAIN]);
      assert.notEqual(run.code, 0, explain(run));
      assert.match(run.stderr, /team\/app:nope/);
      assert.match(run.stderr, /manifest unknown|not found|does not exist/i);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    });
  });

  describe('malformed inputs are refused before anything is copied', () => {
    let dest: RunningRegistry;
    before(async () => {
      dest = await startRegistry();
    });
    after(async () => {
      // Every case starts with a valid rule: none of them may have copied anything.
      assert.deepEqual(await catalog(dest.url), [], 'the destination stayed empty');
      await dest?.stop();
    });

    /** Runs ferry, expects a non-zero exit whose message has `where` (file:line) and `what`. */
    async function refused(args: string[], where: RegExp, what: RegExp): Promise<void> {
      const run = await runFerry(['sync', ...args]);
      assert.notEqual(run.code, 0, explain(run));
      assert.match(run.stderr, where, explain(run));
      assert.match(run.stderr, what, explain(run));
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      assert.doesNotMatch(run.stderr, /internal error/);
    }

    const good = (): string => `${source.host}/team/app:v1`;

    test('skopeo sync YAML: an unknown key, a bad regex, a bad semver range', async () => {
      const head = [`${source.host}:`, '  tls-verify: false', '  images:', '    team/app: [v1]'];
      const typo = await file(work, 'bad-skopeo-key.yaml', [...head, '  imagez:', '    team/tools: []', ''].join('\n'));
      await refused(['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', typo, `${dest.host}/x`], /bad-skopeo-key\.yaml:5\b/, /imagez/);
      const regex = await file(work, 'bad-skopeo-regex.yaml', [...head, '  images-by-tag-regex:', '    team/tools: "^(1\\\\."', ''].join('\n'));
      await refused(['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', regex, `${dest.host}/x`], /bad-skopeo-regex\.yaml:6\b/, /regex|regular expression|parenthes/i);
      const semver = await file(work, 'bad-skopeo-semver.yaml', [...head, '  images-by-semver:', '    team/tools: ">= banana"', ''].join('\n'));
      await refused(['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', semver, `${dest.host}/x`], /bad-skopeo-semver\.yaml:6\b/, /semver|range|version/i);
    });

    test('image-syncer: a malformed source, a bad auth key, an unset ${VAR}', async () => {
      const bad = await file(work, 'bad-images.json', `{\n  "${good()}": "${dest.host}/is/app",\n  "${source.host}/team/tools:bad tag!": "${dest.host}/is/tools"\n}\n`);
      await refused(['--images', bad, ...PLAIN], /bad-images\.json:3\b/, /bad tag!|tag|reference/i);
      const images = await file(work, 'good-images.yaml', `${good()}: ${dest.host}/is/app\n`);
      const auth = await file(work, 'bad-auth.yaml', `${source.host}:\n  insecure: true\n  pasword: x\n`);
      await refused(['--images', images, '--auth', auth], /bad-auth\.yaml:3\b/, /pasword/);
      const unset = await file(work, 'unset-auth.yaml', `${source.host}:\n  username: \${FERRY_TEST_UNSET_USER}\n  password: x\n`);
      await refused(['--images', images, '--auth', unset], /unset-auth\.yaml:2\b/, /FERRY_TEST_UNSET_USER/);
    });

    test('oc mapping: a line without destination, a source without tag', async () => {
      const lonely = await file(work, 'bad-mapping.txt', `# mirror\n${good()} ${dest.host}/m/app\n${source.host}/team/tools:1.0\n`);
      await refused(['--mapping', lonely, ...PLAIN], /bad-mapping\.txt:3\b/, /no destination/);
      const untagged = await file(work, 'untagged-mapping.txt', `${good()} ${dest.host}/m/app\n\n${source.host}/team/tools ${dest.host}/m/tools\n`);
      await refused(['--mapping', untagged, ...PLAIN], /untagged-mapping\.txt:3\b/, /tag|digest/);
    });

    test('ferry YAML: a misspelt key, a bad semver range, a bad regex, a malformed YAML document', async () => {
      const head = `registries:\n  "${source.host}": {tls-verify: false}\n  "${dest.host}": {tls-verify: false}\nsync:\n  - from: ${source.host}/team/app\n    tags: [v1]\n    to: "${dest.host}/ok"\n`;
      const typo = await file(work, 'bad-key.yaml', `${head}  - from: ${source.host}/team/tools\n    to: {registry: "${dest.host}", namespace: x, flaten: 1}\n`);
      await refused(['--config', typo], /bad-key\.yaml:9\b/, /unknown key "flaten".*did you mean "flatten"/);
      const semver = await file(work, 'bad-semver.yaml', `${head}  - from: ${source.host}/team/tools\n    tags: {semver: ">= x.y"}\n    to: "${dest.host}/ok"\n`);
      await refused(['--config', semver], /bad-semver\.yaml:9\b/, /semver|range/i);
      const regex = await file(work, 'bad-regex.yaml', `${head}  - from: ${source.host}/team/tools\n    tags: {regex: "[unclosed"}\n    to: "${dest.host}/ok"\n`);
      await refused(['--config', regex], /bad-regex\.yaml:9\b/, /regex|regular expression/i);
      const broken = await file(work, 'broken.yaml', `${head}  - from: [unclosed\n    to: x\n`);
      await refused(['--config', broken], /broken\.yaml:\d+/, /YAML|flow|unexpected|missing/i);
    });
  });

  test('credentials from ${ENV} in ferry YAML never reach the output, the report, or error messages', async () => {
    const dest = await startRegistry();
    try {
      const config = await file(
        work,
        'secret.yaml',
        `registries:
  "${secured.host}":
    tls-verify: false
    credentials:
      username: ${USER}
      password: \${FERRY_TEST_PASSWORD}
  "${dest.host}": {tls-verify: false}
sync:
  - from: ${secured.host}/private/app
    to: "${dest.host}/sec"
`,
      );
      const env = { FERRY_TEST_PASSWORD: PASSWORD };
      const leaks = (text: string): void => {
        assert.ok(!text.includes(PASSWORD), `the password leaked:\n${text}`);
        assert.ok(!text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), `the Basic header leaked:\n${text}`);
      };
      for (const [name, extra] of [['secret-dry', ['--dry-run']], ['secret-run', ['--debug']], ['secret-json', ['--json']]] as const) {
        const { run, reportText } = await syncWithReport(work, name, ['--config', config, ...extra], { env });
        assert.equal(run.code, 0, explain(run));
        leaks(run.stdout);
        leaks(run.stderr);
        leaks(reportText);
      }
      await assertDigests(dest.host, { 'sec/private/app:v1': await digestOf('private/app', 'v1') });
      // A wrong password fails without echoing either password.
      const { run, reportText } = await syncWithReport(work, 'secret-wrong', ['--config', config, '--debug'], { env: { FERRY_TEST_PASSWORD: `${PASSWORD}-wrong` } });
      assert.notEqual(run.code, 0, explain(run));
      assert.match(run.stderr, /unauthori[sz]ed|denied|401|credentials/i);
      leaks(run.stdout + run.stderr + reportText);
    } finally {
      await dest.stop();
    }
  });
});
