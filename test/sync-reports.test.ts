import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, finishedRun, jsonRecords, runFerry, spawnFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, file, image, PLAIN, seedAll, syncWithReport, type Report } from './fixtures/sync.ts';

/**
 * Failures, reports and logs of `ferry sync`, whatever the input: a failure
 * is blamed on its own image; `--report` is written when a run stops at a
 * failure or is interrupted (with what was done and what was not run); the
 * plan line, the summary and the report count the same things in the right
 * number; every line of a parallel run names its image; `--json` errors are
 * JSON objects; a refused login names the side and the image. The
 * interruption test holds the run with the proxy's delay fault (a stand-in
 * for a slow registry).
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd');

const SPECS: SyntheticImageSpec[] = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => image(`par/${n}`, 'v1', { layers: [16 * 1024] }));
const store = syntheticStore(SPECS);
const USER = 'pusher';
const PASSWORD = 'reports-Pa55-41aa';

describe('ferry sync failures, reports and logs', { skip }, () => {
  let source: RunningRegistry;
  let work: string;

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-reports')]);
    await seedAll(store, source.host, SPECS);
  });

  after(async () => {
    await source?.stop();
    if (work) await removeTempDir(work);
  });


  test('a failure belongs to its own image: the others in flight are not run, saying why, and the report is written', async (t) => {
    const dest = await startRegistry({ t });
    const lines = [`${source.host}/par/a:v1 ${dest.host}/m/a`, `${source.host}/par/missing:v1 ${dest.host}/m/missing`, ...['b', 'c', 'd', 'e', 'f'].map((n) => `${source.host}/par/${n}:v1 ${dest.host}/m/${n}`)];
    const file1 = await file(work, 'stop.txt', lines.join('\n'));
    const { run, report } = await syncWithReport(work, 'stop', ['--mapping', file1, ...PLAIN, '--jobs', '1']);
    assert.equal(run.code, 2, explain(run));
    assert.ok(report, `no report\n${explain(run)}`);
    const byName = (n: string) => report.images.find((i) => i.destination.includes(`/m/${n}:`))!;
    assert.equal(byName('missing').status, 'failed');
    assert.equal(byName('missing').code, 'NOT_FOUND');
    assert.equal(report.stopped?.code, 'NOT_FOUND');
    assert.equal(byName('a').status, 'copied');
    for (const n of ['b', 'c', 'd', 'e', 'f']) {
      assert.equal(byName(n).status, 'not-run', JSON.stringify(byName(n)));
      assert.match(byName(n).reason ?? '', /^not run: stopped at the failure of .*par\/missing:v1$/);
      assert.doesNotMatch(byName(n).reason ?? '', /manifest unknown/, 'the failure is not repeated as the others\' error');
    }
    // The bytes that crossed the wire: every blob of the one image copied (config and layers) into an empty registry.
    const copiedBytes = [...(await store.image('par/a', 'v1')).blobs.values()].reduce((n, b) => n + (b.kind === 'config' ? b.bytes.length : b.layer.size), 0);
    assert.deepEqual(report.totals, { images: 7, copied: 1, skipped: 0, failed: 1, planned: 0, notRun: 5, bytes: copiedBytes });
    assert.match(run.stderr, /Plan: 7 images: 6 to copy, 0 already up to date, 1 failed to resolve/);
    assert.match(run.stderr, /Synced 7 images: 1 copied, 0 skipped, 1 failed, 5 not run;/);
    assert.match(run.stderr, /ferry: stopped at that failure; 5 images not run\nhint: with --keep-going/);
    await assertDigests(dest.host, { 'm/a:v1': (await store.image('par/a', 'v1')).top.digest });
  });

  test('counts in the right number: one image is "1 image", and the plan, the summary and the report agree', async (t) => {
    const dest = await startRegistry({ t });
    const { run, report } = await syncWithReport(work, 'one', ['--mapping', await file(work, 'one.txt', `${source.host}/par/a:v1 ${dest.host}/one/a`), ...PLAIN]);
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stderr, /^Plan: 1 image: 1 to copy, 0 already up to date$/m);
    assert.match(run.stderr, /^Synced 1 image: 1 copied, 0 skipped, 0 failed; /m);
    assert.equal(report?.totals.images, 1);
  });

  test('in a parallel run every progress and log line names its image', async (t) => {
    const dest = await startRegistry({ t });
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const run = await runFerry(['sync', '--mapping', await file(work, 'par.txt', names.map((n) => `${source.host}/par/${n}:v1 ${dest.host}/p/${n}`).join('\n')), ...PLAIN, '--jobs', '6']);
    assert.equal(run.code, 0, explain(run));
    const detail = run.stderr.split('\n').filter((l) => /^\s+\S/.test(l));
    assert.ok(detail.length >= names.length, explain(run));
    for (const line of detail) assert.match(line, /docker:\/\/[^ ]+\/p\/[a-f]:v1|https?:\/\/[^ ]+\/v2\/par\/[a-f]\//, `a line that does not say which image: ${line}`);
    for (const n of names) assert.match(run.stderr, new RegExp(`docker://${dest.host}/p/${n}:v1: wrote manifest sha256:`));
  });

  test('--json: every failure is a JSON object (code, message, hint, image) among the events on stdout; so is a refused command line', async (t) => {
    const dest = await startRegistry({ t });
    const input = await file(work, 'json.txt', `${source.host}/par/a:v1 ${dest.host}/j/a\n${source.host}/par/nope:v1 ${dest.host}/j/nope`);
    const run = await runFerry(['sync', '--json', '--keep-going', '--mapping', input, ...PLAIN]);
    assert.equal(run.code, 1, explain(run));
    const records = jsonRecords(run.stdout);
    const errors = records.filter((r) => r['error'] !== undefined).map((r) => r['error'] as Record<string, string>);
    assert.equal(errors.length, 1, run.stdout);
    assert.equal(errors[0]!['code'], 'NOT_FOUND');
    assert.equal(errors[0]!['image'], `docker://${dest.host}/j/nope:v1`);
    assert.match(errors[0]!['message']!, /par\/nope:v1/);
    assert.ok(records.some((r) => r['event'] === 'image-start'), 'the events are on the same stream');
    assert.equal((records.at(-1)!['result'] as Report).totals.failed, 1);
    assert.equal(run.stderr, '', 'nothing but JSON, on stdout');
    const usage = await runFerry(['sync', '--json', '--dest', 'nowhere']);
    assert.equal(usage.code, 2);
    const usageRecord = JSON.parse(usage.stdout.trim().split('\n').at(-1)!) as { error: { code: string; message: string } };
    assert.equal(usageRecord.error.code, 'USAGE');
    assert.match(usageRecord.error.message, /nowhere/);
    const bad = await runFerry(['sync', '--json', '--config', await file(work, 'json-bad.yaml', 'nothing: here\n')]);
    assert.equal(bad.code, 1);
    assert.match((JSON.parse(bad.stdout.trim()) as { error: { code: string; hint: string } }).error.code, /^INVALID_CONFIG$/);
  });

  test('a refused login names the side (--dest-creds, --src-creds) and the image, not a blob digest', async (t) => {
    const secured = await startRegistry({ htpasswd: { [USER]: PASSWORD }, t });
    await seedAll(store, secured.host, [SPECS[0]!], { username: USER, password: PASSWORD });
    const toSecured = await syncWithReport(work, 'dest-401', ['--src', 'docker', '--dest', 'docker', ...PLAIN, '--dest-creds', `${USER}:wrong`, `${source.host}/par/b:v1`, `${secured.host}/pushed`]);
    assert.notEqual(toSecured.run.code, 0, explain(toSecured.run));
    const dest = toSecured.report!.images[0]!;
    assert.equal(dest.code, 'UNAUTHORIZED');
    assert.match(dest.reason ?? '', new RegExp(`^docker://${secured.host}/pushed/b:v1: the destination registry ${secured.host} refused the credentials`));
    assert.match(dest.hint ?? '', /--dest-creds/);
    assert.doesNotMatch(dest.reason ?? '', /sha256:/);
    const fromSecured = await syncWithReport(work, 'src-401', ['--src', 'docker', '--dest', 'docker', ...PLAIN, '--src-creds', `${USER}:wrong`, `${secured.host}/par/a:v1`, `${source.host}/pulled`]);
    assert.notEqual(fromSecured.run.code, 0, explain(fromSecured.run));
    const src = fromSecured.report!.images[0]!;
    assert.match(src.reason ?? '', new RegExp(`^docker://${secured.host}/par/a:v1: the source registry ${secured.host} refused the credentials`));
    assert.match(src.hint ?? '', /--src-creds/);
    assert.match(fromSecured.run.stderr, /hint: check the source's credentials: --src-creds/);
    for (const text of [toSecured.run.stderr, toSecured.reportText, fromSecured.run.stderr, fromSecured.reportText]) assert.ok(!text.includes(PASSWORD));
  });

  test('interrupted by SIGINT or SIGTERM: the report says what was done and what was not run', async (t) => {
    const dest = await startRegistry({ t });
    const proxy: RunningProxy = await startProxy({ upstream: source.url });
    t.after(() => proxy.stop());
    // Blobs of e and f never come (for ten minutes): the run is caught in the middle.
    proxy.addFault({ type: 'delay', ms: 300_000, times: Infinity, match: { method: 'GET', kind: 'blob', path: /\/par\/[ef]\// } });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const reportPath = join(work, `interrupted-${signal}.json`);
      const lines = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => `${proxy.host}/par/${n}:v1 ${dest.host}/${signal.toLowerCase()}/${n}`);
      // Without signatures to carry after it, a written manifest is a finished image.
      const ferry = await spawnFerry(['sync', '--mapping', await file(work, `int-${signal}.txt`, lines.join('\n')), ...PLAIN, '--remove-signatures', '--jobs', '6', '--report', reportPath]);
      // a to d are written; e and f wait for their blobs.
      await ferry.waitForStderr(/(?:wrote manifest[^]*){4}/);
      await ferry.waitForStderr(/Copying .*par\/f:v1/);
      ferry.child.kill(signal);
      const run = await finishedRun(ferry);
      assert.ok(run.code === 130 || run.signal === signal, explain(run));
      assert.match(run.stderr, new RegExp(`${signal} received, stopping`));
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
      assert.equal(report.stopped?.code, 'ABORTED');
      const status = Object.fromEntries(report.images.map((i) => [i.destination.replace(/^.*\//, ''), i.status]));
      assert.deepEqual(status, { 'a:v1': 'copied', 'b:v1': 'copied', 'c:v1': 'copied', 'd:v1': 'copied', 'e:v1': 'not-run', 'f:v1': 'not-run' });
      assert.equal(report.images.find((i) => i.destination.endsWith('/e:v1'))!.reason, 'not run: interrupted');
      assert.equal(report.totals.notRun, 2);
    }
  });
});
