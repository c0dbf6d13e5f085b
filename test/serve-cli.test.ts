import assert from 'node:assert/strict';
import { execFile, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { startServeProcess, type ServeProcess } from './helpers/ferry-serve.ts';
import { peerPath, requirePeer } from './helpers/peers.ts';
import { waitUntil } from './helpers/poll.ts';
import { writeDirImage } from './helpers/dir-image.ts';
import { runSkopeo, skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeServerCert } from './helpers/tls.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * `ferry serve` as users start it: `bin/ferry serve` as its own process,
 * skopeo as the client. `--read-only`, `--htpasswd`, `--tls-cert/--tls-key`,
 * `--log-format json` (every line parsed), and SIGINT/SIGTERM: the request
 * in flight is finished, then the process exits 0.
 */

const skip = requirePeer('skopeo', 'htpasswd', 'openssl');
/** Tests wait for states, not times; this only ends a test whose state never comes. */
const TIMEOUT = { timeout: 120_000 };

const store = syntheticStore([{ name: 'served/app', tag: 'v1', layers: [64 * 1024, 8 * 1024] }]);
const USER = 'alice';
const PASSWORD = 'Serve-pw-31f7-do-not-log';

/** The exit code of a child that was told to stop, once it has exited. */
async function exitCode(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const [code] = (await once(child, 'exit')) as [number | null];
  return code;
}

/** The JSON access-log records a serve process printed. */
function logRecords(server: ServeProcess): Array<Record<string, unknown>> {
  return server.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('ferry serve as a process', { skip }, () => {
  let work: string;
  let built: BuiltImage;
  /** The image in skopeo's dir: format, for pushes. */
  let image: string;
  const pushArgs = (host: string, repo: string, extra: string[] = []): string[] => ['copy', '--all', '--preserve-digests', ...extra, `dir:${image}`, `docker://${host}/${repo}:v1`];

  before(async () => {
    work = await tempDir('ferry-serve-cli');
    built = await store.image('served/app', 'v1');
    image = join(work, 'image');
    await writeDirImage(store.repository('served/app'), image, 'v1');
  });

  after(async () => {
    if (work) await removeTempDir(work);
  });

  test('--read-only serves what a writable run stored and refuses pushes', TIMEOUT, async (t) => {
    const storage = join(work, 'ro-store');
    const writable = await startServeProcess(t, ['--storage', storage]);
    await skopeo(pushArgs(writable.host, 'team/app', ['--dest-tls-verify=false']));
    assert.equal(await writable.stop(), 0);

    const readOnly = await startServeProcess(t, ['--storage', storage, '--read-only']);
    try {
      assert.ok(logRecords(readOnly).some((r) => r['type'] === 'listening' && r['readOnly'] === true));
      assert.equal(await skopeoInspectDigest(`docker://${readOnly.host}/team/app:v1`, { tlsVerify: false }), built.top.digest);
      const pull = join(work, 'ro-pull');
      await skopeo(['copy', '--src-tls-verify=false', `docker://${readOnly.host}/team/app:v1`, `dir:${pull}`]);
      const push = await runSkopeo(pushArgs(readOnly.host, 'team/other', ['--dest-tls-verify=false']));
      assert.notEqual(push.code, 0, 'a push to a read-only server fails');
      assert.match(push.stderr, /405|UNSUPPORTED|not supported|denied/i, push.stderr);
      const refused = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${readOnly.host}/team/other:v1`]);
      assert.notEqual(refused.code, 0, 'nothing was stored');
    } finally {
      assert.equal(await readOnly.stop(), 0);
    }
  });

  test('--htpasswd demands credentials; --log-format json lines parse and name the user, never the password', TIMEOUT, async (t) => {
    const htpasswd = join(work, 'htpasswd');
    const { stdout } = await promisify(execFile)(peerPath('htpasswd'), ['-Bbn', USER, PASSWORD]);
    await writeFile(htpasswd, stdout);
    const served = await startServeProcess(t, ['--htpasswd', htpasswd]);
    try {
      const anonymous = await runSkopeo(pushArgs(served.host, 'team/app', ['--dest-tls-verify=false']));
      assert.notEqual(anonymous.code, 0);
      assert.match(anonymous.stderr, /401|unauthorized|authentication required/i);
      const wrong = await runSkopeo(pushArgs(served.host, 'team/app', ['--dest-tls-verify=false', `--dest-creds=${USER}:not-the-password`]));
      assert.notEqual(wrong.code, 0);
      await skopeo(pushArgs(served.host, 'team/app', ['--dest-tls-verify=false', `--dest-creds=${USER}:${PASSWORD}`]));
      assert.equal(await skopeoInspectDigest(`docker://${served.host}/team/app:v1`, { tlsVerify: false, creds: `${USER}:${PASSWORD}` }), built.top.digest);
    } finally {
      served.child.kill('SIGINT');
      assert.equal(await exitCode(served.child), 0);
    }
    const stderr = served.stderr();
    assert.ok(!stderr.includes(PASSWORD) && !stderr.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')), 'no password in the log');
    const records = logRecords(served);
    const requests = records.filter((r) => r['type'] === 'request');
    assert.ok(records.some((r) => r['type'] === 'listening' && r['auth'] === true), 'a listening record');
    assert.ok(records.some((r) => r['type'] === 'shutdown'), 'a shutdown record');
    for (const r of requests) {
      assert.equal(typeof r['method'], 'string');
      assert.equal(typeof r['path'], 'string');
      assert.equal(typeof r['status'], 'number');
      assert.ok(!Number.isNaN(Date.parse(String(r['time']))), `an ISO time: ${JSON.stringify(r)}`);
    }
    assert.ok(requests.some((r) => r['status'] === 401 && r['user'] === undefined), 'refused requests are logged without a user');
    const manifestPut = requests.find((r) => r['method'] === 'PUT' && String(r['path']).includes('/manifests/'));
    assert.ok(manifestPut && manifestPut['status'] === 201 && manifestPut['user'] === USER, `the manifest PUT names its user: ${JSON.stringify(manifestPut)}`);
    // Every non-JSON line is one of serve's own messages, not a stray print.
    for (const line of stderr.split('\n').filter((l) => l !== '' && !l.startsWith('{'))) assert.match(line, /^ferry( serve)?: /);
  });

  test('--tls-cert/--tls-key: skopeo pushes and pulls with the CA, and is refused without it', TIMEOUT, async (t) => {
    const ca = await makeCA(join(work, 'ca'));
    const cert = await makeServerCert(ca);
    const served = await startServeProcess(t, ['--tls-cert', cert.cert, '--tls-key', cert.key]);
    try {
      assert.match(served.url, /^https:\/\//);
      const untrusted = await runSkopeo(pushArgs(served.host, 'team/app'));
      assert.notEqual(untrusted.code, 0);
      assert.match(untrusted.stderr, /certificate|x509/i);
      await skopeo(pushArgs(served.host, 'team/app', [`--dest-cert-dir=${ca.certDir}`]));
      assert.equal(await skopeoInspectDigest(`docker://${served.host}/team/app:v1`, { certDir: ca.certDir }), built.top.digest);
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    test(`${signal} lets the request in flight finish, then exits 0`, TIMEOUT, async (t) => {
      const served = await startServeProcess(t);
      const body = Buffer.alloc(256 * 1024, 7);
      const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
      const start = await fetch(`http://${served.host}/v2/team/app/blobs/uploads/`, { method: 'POST' });
      assert.equal(start.status, 202);
      const location = new URL(start.headers.get('location')!, `http://${served.host}`);
      location.searchParams.set('digest', digest);

      // The upload's first half reaches the server; the second is sent only after the signal.
      let status = 0;
      let upload: ReturnType<typeof request> | undefined;
      const answered = new Promise<void>((resolve, reject) => {
        const req = request(location, { method: 'PUT', headers: { 'content-length': String(body.length), 'content-type': 'application/octet-stream' } }, (res) => {
          status = res.statusCode ?? 0;
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        req.write(body.subarray(0, body.length / 2));
        upload = req;
      });
      const sessionPath = new URL(start.headers.get('location')!, `http://${served.host}`);
      await waitUntil('the server to receive the first half', async () => {
        const r = await fetch(sessionPath, { method: 'GET' });
        return r.headers.get('range') === `0-${body.length / 2 - 1}` ? true : undefined;
      });

      served.child.kill(signal);
      await waitUntil('the shutdown record', () => (logRecords(served).some((r) => r['type'] === 'shutdown' && r['inFlight'] === 1) ? true : undefined));
      upload!.end(body.subarray(body.length / 2));
      await answered;
      assert.equal(status, 201, 'the request in flight was answered');
      assert.equal(await exitCode(served.child), 0, served.stderr());
      assert.match(served.stderr(), new RegExp(`${signal} received`));
      assert.match(served.stderr(), /ferry serve: stopped/);
      await assert.rejects(fetch(`http://${served.host}/v2/`), 'the port is closed');
    });
  }
});
