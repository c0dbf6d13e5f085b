import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { childEnv, explain, FERRY_BIN, finishedRun, runFerry, spawnFerry, type FerryRun } from './helpers/ferry-cli.ts';
import { findPeer } from './helpers/peers.ts';
import { freePort } from './helpers/ports.ts';
import { startProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runChild } from './helpers/run-child.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { file, image, PLAIN, seedAll, syncWithReport, type Report } from './fixtures/sync.ts';

/**
 * Issue 11's findings on the CLI, replayed: `ferry sync` ends with a coded
 * error, a hint and its report — never a stack trace — when the destination
 * is unreachable with `--retry-times 0`, when `--dest oci` names a regular
 * file, and when the destination directory cannot be created (run as an
 * unprivileged user through setpriv); a true bug (one module replaced by a
 * loader hook with code that throws a TypeError: the stand-in for a bug)
 * says "internal error" with a bug-report hint and still writes the report;
 * one SIGINT ends a run stuck where no abort reaches (a credential lookup
 * that a loader hook makes wait for ever) within the grace, with its report,
 * and a second signal ends it at once; credentials come from files and the
 * environment, never the process list.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'htpasswd', 'setpriv');

const SPECS: SyntheticImageSpec[] = [image('team/app', 'v1'), image('team/app', 'v2')];
const store = syntheticStore(SPECS);
const USER = 'robot';
const PASSWORD = 'ps-list-Pa55-0b7e';

/** No stack trace, no "internal error": a coded failure with a hint. */
function assertCoded(run: FerryRun, message: RegExp, hint: RegExp): void {
  assert.match(run.stderr, message, explain(run));
  assert.match(run.stderr, hint, explain(run));
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(run.stderr, /internal error/);
}

describe('ferry sync never dies with a stack trace, and always writes its report', { skip }, () => {
  let source: RunningRegistry;
  let work: string;

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-robustness')]);
    await seedAll(store, source.host, SPECS);
  });

  after(async () => {
    await source?.stop();
    if (work) await removeTempDir(work);
  });

  test('--retry-times 0 with an unreachable destination', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const { run, report } = await syncWithReport(work, 'unreachable', ['--src', 'docker', '--dest', 'docker', ...PLAIN, '--retry-times', '0', `${source.host}/team/app`, `${closed}/mirror`]);
    assert.equal(run.code, 1, explain(run));
    assertCoded(run, /ECONNREFUSED/, /hint: nothing is listening there: check the registry address and port/);
    assert.ok(report, explain(run));
    assert.equal(report.totals.images, 2);
    assert.equal(report.images.every((i) => i.status === 'failed' || i.status === 'not-run'), true, JSON.stringify(report.images));
    assert.equal(report.images.find((i) => i.status === 'failed')?.code, 'NETWORK');
  });

  test('--dest oci naming a regular file', async () => {
    const regular = await file(work, 'not-a-directory', 'just a file\n');
    const { run, report } = await syncWithReport(work, 'regular-file', ['--src', 'docker', '--dest', 'oci', '--src-tls-verify=false', `${source.host}/team/app:v1`, regular]);
    assert.notEqual(run.code, 0, explain(run));
    assertCoded(run, /not-a-directory is not a directory, so it cannot be an OCI layout/, /hint: name a directory/);
    assert.ok(report, explain(run));
    assert.equal(report.images[0]?.status, 'failed');
    assert.equal(await readFile(regular, 'utf8'), 'just a file\n', 'the file is left alone');
  });

  test('a destination directory that cannot be created (an unprivileged user)', async () => {
    // The unprivileged user may pass through the test's directory (a temp dir is 0700) but write only in `open`.
    await chmod(work, 0o755);
    const open = join(work, 'nobody');
    await mkdir(open, { recursive: true });
    await chmod(open, 0o777);
    const closedDir = join(work, 'root-only');
    await mkdir(closedDir, { recursive: true, mode: 0o755 });
    const reportPath = join(open, 'report.json');
    const args = ['sync', '--src', 'docker', '--dest', 'oci', '--src-tls-verify=false', `${source.host}/team/app:v1`, join(closedDir, 'store'), '--report', reportPath];
    const run = await runChild(findPeer('setpriv')!, ['--reuid=65534', '--regid=65534', '--clear-groups', '--', FERRY_BIN, ...args], {
      env: await childEnv({ HOME: open }),
      timeoutMs: 60_000,
      cwd: open,
    });
    const text = { code: run.code, stdout: run.stdout.toString(), stderr: run.stderr };
    assert.notEqual(run.code, 0, explain(text));
    assertCoded(text, /cannot create the OCI layout directory .*root-only\/store: permission denied/, /hint: choose a directory you can write to/);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
    assert.equal(report.images[0]?.status, 'failed');
  });

  test('a true bug says "internal error" with a bug-report hint, and the report is still written', async () => {
    // A loader hook replaces one module of the run with code that throws a TypeError (from src/: the bundle has no modules to swap).
    const hooks = await file(
      work,
      'bug-hooks.mjs',
      "export async function load(url, context, next) {\n  if (/\\/sync\\/select\\/shard\\.(ts|js)$/.test(url)) return { format: 'module', shortCircuit: true, source: 'export function parseShard(text) { return text.no.such.property; }\\nexport function inShard() { return true; }\\n' };\n  return next(url, context);\n}\n",
    );
    const register = await file(work, 'bug-register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const { run, report } = await syncWithReport(work, 'bug', ['--src', 'docker', '--dest', 'docker', ...PLAIN, '--shard', '0/1', `${source.host}/team/app`, `${source.host}/copy`], {
      env: { NODE_OPTIONS: `--import ${register}`, FERRY_FROM_SOURCE: '1' },
    });
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /ferry: internal error: .*(undefined|Cannot read properties)/, explain(run));
    assert.match(run.stderr, /hint: this is a bug in ferry; please report it/);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace without --debug');
    assert.ok(report, explain(run));
    assert.equal(report.stopped?.code, 'INTERNAL');
    assert.match(report.stopped?.message ?? '', /internal error/);
  });

  test('one SIGINT ends a run stuck where no abort reaches, within the grace, with its report; a second signal ends it at once', async (t) => {
    // Every part of a run honours its abort signal, so the stuck part is a stand-in: a loader hook makes the
    // credential lookup wait for ever, ignoring the signal (from src/: the bundle has no modules to swap).
    const auth = (name: string): string => new URL(`../src/transports/registry/auth/${name}`, import.meta.url).href;
    const hooks = await file(
      work,
      'stuck-hooks.mjs',
      `export async function load(url, context, next) {\n  if (/\\/registry\\/auth\\/auth-file\\.(ts|js)$/.test(url)) return { format: 'module', shortCircuit: true, source: ${JSON.stringify(
        `export { authFileCandidates, primaryAuthFiles } from ${JSON.stringify(auth('auth-paths.ts'))};\nexport { login, logout } from ${JSON.stringify(auth('login.ts'))};\nexport function resolveCredentials() { process.stderr.write('test: credential lookup stuck\\n'); setInterval(() => undefined, 1000); return new Promise(() => undefined); }\n`,
      )} };\n  return next(url, context);\n}\n`,
    );
    const register = await file(work, 'stuck-register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    for (const signals of [['SIGINT'], ['SIGTERM', 'SIGTERM']] as const) {
      const reportPath = join(work, `stuck-${signals.length}.json`);
      const ferry = await spawnFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app`, `${source.host}/stuck`, '--report', reportPath], {
        env: { NODE_OPTIONS: `--import ${register}`, FERRY_FROM_SOURCE: '1' },
      });
      t.after(() => void ferry.child.kill('SIGKILL'));
      await ferry.waitForStderr(/test: credential lookup stuck/);
      const [first, second] = signals;
      const received = new RegExp(`${first} received, stopping \\(again to force\\)`);
      ferry.child.kill(first);
      // The second signal only once ferry has handled the first: two pending SIGTERMs may be merged into one.
      await ferry.waitForStderr(received);
      if (second) ferry.child.kill(second);
      const run = await finishedRun(ferry);
      assert.ok(run.code === 130 || run.signal === first, explain(run));
      assert.match(run.stderr, received);
      // One signal: only the grace ends the stuck run.
      if (!second) assert.match(run.stderr, /ferry: stopped by force: the run did not end in time/, explain(run));
      const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
      assert.equal(report.stopped?.code, 'ABORTED');
    }
  });

  test('credentials from --dest-creds-file, $FERRY_DEST_CREDS and --creds-file work and stay out of the process list', async (t) => {
    const secured = await startRegistry({ htpasswd: { [USER]: PASSWORD }, t });
    const proxy = await startProxy({ upstream: source.url });
    t.after(() => proxy.stop());
    // The run is held on its first blob (it pulls every one: the destination is another registry) while its command line is read.
    const gate = proxy.addGate({ match: { method: 'GET', kind: 'blob' }, times: 1 });
    const credsFile = join(work, 'dest-creds');
    await writeFile(credsFile, `${USER}:${PASSWORD}\n`, { mode: 0o600 });
    const ferry = await spawnFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, '--dest-creds-file', credsFile, `${proxy.host}/team/app:v1`, `${secured.host}/from-file`]);
    await Promise.race([gate.reached, ferry.exited.then(() => Promise.reject(new Error(`ferry exited before its first GET blob:\n${ferry.stderr()}`)))]);
    const cmdline = (await readFile(`/proc/${ferry.child.pid}/cmdline`, 'utf8')).split('\0').join(' ');
    gate.open();
    assert.match(cmdline, /--dest-creds-file/);
    assert.ok(!cmdline.includes(PASSWORD), `the password is in the process list: ${cmdline}`);
    const fromFile = await finishedRun(ferry);
    assert.equal(fromFile.code, 0, explain(fromFile));
    const fromEnv = await runFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, `${source.host}/team/app:v2`, `${secured.host}/from-env`], { env: { FERRY_DEST_CREDS: `${USER}:${PASSWORD}` } });
    assert.equal(fromEnv.code, 0, explain(fromEnv));
    const v1 = (await store.image('team/app', 'v1')).top.digest;
    const v2 = (await store.image('team/app', 'v2')).top.digest;
    for (const [ref, digest] of [['from-file/app:v1', v1], ['from-env/app:v2', v2]] as const) {
      const inspected = await runFerry(['inspect', '--tls-verify=false', '--creds-file', credsFile, '--format', '{{.Digest}}', `docker://${secured.host}/${ref}`]);
      assert.equal(inspected.stdout.trim(), digest, explain(inspected));
    }
    const twice = await runFerry(['sync', '--src', 'docker', '--dest', 'docker', ...PLAIN, '--dest-creds', 'a:b', '--dest-creds-file', credsFile, `${source.host}/team/app:v1`, `${secured.host}/x`]);
    assert.equal(twice.code, 2, explain(twice));
    assert.match(twice.stderr, /--dest-creds and --dest-creds-file are mutually exclusive/);
    for (const run of [fromFile, fromEnv, twice]) assert.ok(!run.stderr.includes(PASSWORD) && !run.stdout.includes(PASSWORD));
  });
});
