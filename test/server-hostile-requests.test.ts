import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { makeImage } from './fixtures/layout-image.ts';
import { call, pushImage } from './fixtures/server-client.ts';
import { layoutWithImage } from './fixtures/server.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { startServeProcess, type ServeProcess } from './helpers/ferry-serve.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeServerCert } from './helpers/tls.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Issue 11's attacks on `ferry serve`, replayed against the real process
 * (`bin/ferry serve`): a request that used to kill it, paths that used to be
 * normalised and acted on, an upload flood that used to lock everyone out,
 * and TLS files that used to end in "internal error".
 */

/**
 * Sends `head` and then `body` in pieces on a raw connection, as a hostile
 * client would (no HTTP library fixes anything up), and returns the status
 * line the server answered with. Writes the server refuses to read are fine;
 * they may make the server's kernel reset the connection, and a reset can
 * discard the answer before it is read: then the status line is ''.
 */
async function rawRequest(server: ServeProcess, head: string, body: Iterable<Buffer>): Promise<string> {
  const { hostname, port } = new URL(server.url);
  const socket = connect({ host: hostname, port: Number(port) });
  let received = '';
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => (received += text));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(head);
  for (const piece of body) {
    if (socket.destroyed || received.includes('\r\n\r\n')) break;
    if (!socket.write(piece)) await new Promise<void>((resolve) => socket.once('drain', resolve).once('close', resolve));
  }
  if (!socket.destroyed) socket.end();
  await closed;
  return received.split('\r\n', 1)[0] ?? '';
}

function* chunked(total: number, piece = 64 * 1024): Iterable<Buffer> {
  const data = Buffer.alloc(piece, 0x61);
  for (let sent = 0; sent < total; sent += piece) yield Buffer.concat([Buffer.from(`${piece.toString(16)}\r\n`), data, Buffer.from('\r\n')]);
  yield Buffer.from('0\r\n\r\n');
}

async function assertServing(server: ServeProcess, what: string): Promise<void> {
  assert.ok(server.alive(), `ferry serve died after ${what}:\n${server.stderr()}`);
  assert.equal((await call(server.url, 'GET', '/v2/')).status, 200, `ferry serve answers after ${what}`);
  assert.doesNotMatch(server.stderr(), /TypeError|Cannot read properties/);
}

/** Statuses the server's access log (JSON lines on stderr) recorded for `method` requests, once `count` are there (the log trails the responses). */
async function loggedStatuses(server: ServeProcess, method: string, count: number): Promise<number[]> {
  for (let attempt = 0; ; attempt++) {
    const statuses = server.stderr().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { type: string; method?: string; status?: number })
      .filter((e) => e.type === 'request' && e.method === method).map((e) => e.status!);
    if (statuses.length >= count || attempt === 100) return statuses;
    await sleep(50);
  }
}

async function openUpload(server: ServeProcess, headers: Record<string, string> = {}): Promise<string> {
  const r = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/', { headers });
  assert.equal(r.status, 202, r.body.toString());
  return r.headers.get('location')!;
}

test('a refused body that is still arriving never takes the process down', async (t) => {
  const server = await startServeProcess(t);
  // Trigger 1: a chunked manifest PUT over the 4 MiB limit draws a 413 while the body streams in.
  for (let i = 0; i < 3; i++) {
    const status = await rawRequest(server, 'PUT /v2/ns/app/manifests/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(5 * 1024 * 1024));
    assert.match(status, /^$|^HTTP\/1\.1 413 /);
    await assertServing(server, `oversized chunked manifest PUT #${i + 1}`);
  }
  // Trigger 2: a PATCH chunk longer than its Content-Range, declared up front and discovered while streaming.
  const upload = await openUpload(server);
  const declared = await rawRequest(server, `PATCH ${upload} HTTP/1.1\r\nHost: x\r\nContent-Range: 0-9\r\nContent-Length: 1048576\r\n\r\n`, [Buffer.alloc(1024 * 1024, 1)]);
  assert.match(declared, /^$|^HTTP\/1\.1 400 /);
  await assertServing(server, 'a PATCH whose Content-Length exceeds its Content-Range');
  const streamed = await rawRequest(server, `PATCH ${upload} HTTP/1.1\r\nHost: x\r\nContent-Range: 0-9\r\nTransfer-Encoding: chunked\r\n\r\n`, chunked(2 * 1024 * 1024));
  assert.match(streamed, /^$|^HTTP\/1\.1 400 /);
  await assertServing(server, 'a chunked PATCH longer than its Content-Range');
  const status = await call(server.url, 'GET', upload);
  assert.equal(status.headers.get('range'), '0-0', 'the refused chunk left nothing behind');
  assert.deepEqual(await loggedStatuses(server, 'PUT', 3), [413, 413, 413]);
  assert.deepEqual(await loggedStatuses(server, 'PATCH', 2), [400, 400]);
});

test('with --htpasswd, a long PATCH without and with credentials never takes the process down', { skip: requirePeer('htpasswd') }, async (t) => {
  const dir = await tempDir('serve-hostile-auth', t);
  const htpasswd = join(dir, 'htpasswd');
  await writeFile(htpasswd, (await promisify(execFile)('htpasswd', ['-Bbn', 'alice', 'wonder-pass'])).stdout);
  const server = await startServeProcess(t, ['--htpasswd', htpasswd]);
  const auth = `Basic ${Buffer.from('alice:wonder-pass').toString('base64')}`;
  const anonymous = await rawRequest(server, 'PATCH /v2/ns/app/blobs/uploads/x HTTP/1.1\r\nHost: x\r\nContent-Range: 0-9\r\nTransfer-Encoding: chunked\r\n\r\n', chunked(2 * 1024 * 1024));
  assert.match(anonymous, /^$|^HTTP\/1\.1 401 /);
  assert.ok(server.alive(), `ferry serve died after an unauthenticated PATCH:\n${server.stderr()}`);
  const upload = await openUpload(server, { Authorization: auth });
  const authenticated = await rawRequest(server, `PATCH ${upload} HTTP/1.1\r\nHost: x\r\nAuthorization: ${auth}\r\nContent-Range: 0-9\r\nTransfer-Encoding: chunked\r\n\r\n`, chunked(2 * 1024 * 1024));
  assert.match(authenticated, /^$|^HTTP\/1\.1 400 /);
  assert.ok(server.alive(), `ferry serve died after an authenticated PATCH:\n${server.stderr()}`);
  assert.equal((await call(server.url, 'GET', '/v2/', { headers: { Authorization: auth } })).status, 200);
  assert.deepEqual(await loggedStatuses(server, 'PATCH', 2), [401, 400]);
});

/** A request whose path goes out exactly as written (fetch would normalise it first). */
function rawPath(server: ServeProcess, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/`, { method, path }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  });
}

test('"." and ".." path segments are refused, never resolved and acted on', async (t) => {
  const server = await startServeProcess(t);
  const image = await makeImage({ seed: 'dots' });
  await pushImage(server.url, 'demo/web', '1.0', image);
  await pushImage(server.url, 'demo/web', '1.1', image);
  for (const path of [
    '/v2/demo/web/manifests/1.0/../1.1',
    '/v2/demo/web/manifests/1.0/%2e%2e/1.1',
    '/v2/demo/web/manifests/1.0/%2E./1.1',
    '/v2/demo/web/manifests/1.0\\..\\1.1',
    '/v2/demo/web/x/../manifests/1.1',
    '/v2/demo/./web/manifests/1.1',
  ]) {
    const status = await rawPath(server, 'DELETE', path);
    assert.ok(status === 400 || status === 404, `DELETE ${path} → ${status}`);
  }
  assert.equal(await rawPath(server, 'GET', '/v2/demo/web/manifests/1.0/../1.1'), 400);
  const tags = JSON.parse((await call(server.url, 'GET', '/v2/demo/web/tags/list')).body.toString()) as { tags: string[] };
  assert.deepEqual(tags.tags, ['1.0', '1.1'], 'no tag was deleted');
});

test('an upload-session flood from one client does not stop another client pushing', { skip: requirePeer('skopeo') }, async (t) => {
  const server = await startServeProcess(t);
  // The flood comes from 127.0.0.2 (a client of its own); the legitimate push from 127.0.0.1.
  const agent = new Agent({ keepAlive: true, maxSockets: 16, localAddress: '127.0.0.2' });
  t.after(() => agent.destroy());
  const statuses = await Promise.all(Array.from({ length: 300 }, () => new Promise<number>((resolve, reject) => {
    const req = request(`${server.url}/v2/ns/app/blobs/uploads/`, { method: 'POST', agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    req.end();
  })));
  const accepted = statuses.filter((s) => s === 202).length;
  assert.equal(accepted, 256, 'the flooding client gets its own share, no more');
  assert.equal(statuses.filter((s) => s === 429).length, 300 - accepted);

  const src = await tempDir('serve-flood-src', t);
  const image = await makeImage({ seed: 'flood', layers: 3, layerBytes: 20_000 });
  await layoutWithImage(src, 'x', '1', image);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${server.host}/ns/app:1`, [], { dest: { tlsVerify: false } });
  assert.equal(await skopeoInspectDigest(`docker://${server.host}/ns/app:1`, { tlsVerify: false }), image.manifest.digest);
  assert.ok(server.alive());
});

test('garbage --tls-cert / --tls-key files are named in a clear error, not an internal one', { skip: requirePeer('openssl') }, async (t) => {
  const dir = await tempDir('serve-bad-tls', t);
  const garbage = join(dir, 'garbage.pem');
  await writeFile(garbage, 'this is not a certificate\n');
  const pair = await makeServerCert(await makeCA(dir));
  const other = await makeServerCert(await makeCA(join(dir, 'other')));
  const cases: [string[], RegExp][] = [
    [['--tls-cert', garbage, '--tls-key', pair.key], new RegExp(`--tls-cert ${garbage} is not a PEM certificate`)],
    [['--tls-cert', pair.cert, '--tls-key', garbage], new RegExp(`--tls-key ${garbage} is not a usable PEM private key`)],
    [['--tls-cert', pair.cert, '--tls-key', other.key], /does not belong to --tls-cert/],
    [['--tls-cert', join(dir, 'absent.pem'), '--tls-key', pair.key], /--tls-cert .*absent\.pem does not exist/],
  ];
  for (const [args, message] of cases) {
    const run = await runFerry(['serve', '--addr', '127.0.0.1:0', '--storage', join(dir, 'store'), ...args]);
    assert.notEqual(run.code, 0, explain(run));
    assert.match(run.stderr, message, explain(run));
    assert.doesNotMatch(run.stderr, /internal error|bug in ferry|\n\s+at /, explain(run));
  }
});
