import assert from 'node:assert/strict';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry, spawnFerry } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { waitUntil } from './helpers/poll.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { startTokenServer, type TokenServer } from './helpers/token-server.ts';

/**
 * The edges of the Bearer token flow, end to end against Debian's registry
 * and the test token server: a token is renewed when it expires and when the
 * registry answers 401 to it; `--src-registry-token`/`--dest-registry-token`
 * are sent as they are (no token request of ferry's own); `ferry login`
 * checks credentials through the token flow before storing them.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');
const TIMEOUT = { timeout: 120_000 };

const USER = 'dave';
const PASSWORD = 'Tok-edge-5c2a-do-not-print';
const creds = `${USER}:${PASSWORD}`;
/** Short, so the first token expires during a copy the proxy holds; the registry's own 60 s leeway still accepts it. */
const EXPIRES_IN_S = 2;

const store = syntheticStore([{ name: 'tok/app', tag: 'v1', layers: [32 * 1024, 16 * 1024, 8 * 1024] }]);

/** A token for `scopes` straight from the token server, as a CI system would hand one over. */
async function fetchToken(tokens: TokenServer, scopes: string[]): Promise<string> {
  const url = new URL(tokens.realm);
  url.searchParams.set('service', tokens.service);
  for (const s of scopes) url.searchParams.append('scope', s);
  const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(creds).toString('base64')}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

describe('token flow edges', { skip }, () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  let proxy: RunningProxy;
  let work: string;
  let layout: string;
  let expected: string;
  const pushScope = (repo: string): string => `repository:${repo}:pull,push`;
  const scopeRequests = (scope: string) => tokens.requests.filter((r) => r.scopes.includes(scope) && r.status === 200);

  before(async () => {
    tokens = await startTokenServer({ users: { [USER]: PASSWORD }, issuer: 'ferry-edges', service: 'ferry-edges-registry', expiresIn: EXPIRES_IN_S });
    registry = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
    proxy = await startProxy({ upstream: registry.url });
    work = await tempDir('ferry-token-edges');
    layout = join(work, 'layout');
    await writeOciLayout(store.repository('tok/app'), layout, ['v1']);
    await seedRegistry(registry.host, store.repository('tok/app'), ['v1'], { dest: { tlsVerify: false, creds } });
    expected = (await store.image('tok/app', 'v1')).top.digest;
  });

  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    await tokens?.stop();
    if (work) await removeTempDir(work);
  });

  test('a token is renewed once it expires, before the registry has to refuse it', TIMEOUT, async () => {
    proxy.reset();
    const repo = 'renew/expiry';
    // The first blob upload waits at the proxy until the token it carries has expired; every later request needs a token again.
    const gate = proxy.addGate({ match: { method: 'POST', kind: 'upload' }, times: 1 });
    const ferry = await spawnFerry(['copy', '--dest-tls-verify=false', '--dest-creds', creds, '--jobs', '1', `oci:${layout}:v1`, `docker://${proxy.host}/${repo}:v1`]);
    await gate.reached;
    const first = scopeRequests(pushScope(repo));
    assert.equal(first.length, 1, 'one token so far');
    const issued = Date.now();
    await waitUntil('the first token to expire', () => (Date.now() > issued + EXPIRES_IN_S * 1000 ? true : undefined));
    gate.open();
    const { code } = await ferry.exited;
    assert.equal(code, 0, ferry.stderr());
    assert.ok(scopeRequests(pushScope(repo)).length >= 2, 'a new token was fetched after expiry');
    const refused = proxy.stats.log.filter((e) => e.status === 401 && e.startedAt > proxy.stats.log.find((x) => x.fault === 'gate')!.startedAt);
    assert.deepEqual(refused, [], 'no request was refused: the token was renewed before use, not after a 401');
    assert.equal(await skopeoInspectDigest(`docker://${registry.host}/${repo}:v1`, { tlsVerify: false, creds }), expected);
  });

  test('a 401 to a cached token gets a new token and the request is retried', TIMEOUT, async () => {
    proxy.reset();
    const repo = 'renew/refused';
    const challenge = `Bearer realm="${tokens.realm}",service="${tokens.service}",scope="${pushScope(repo)}",error="invalid_token"`;
    const before = tokens.requests.length;
    const refused = proxy.addFault({ type: 'status', status: 401, headers: { 'www-authenticate': challenge }, match: { method: 'PUT', kind: 'manifest' } });
    const run = await runFerry(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, `docker://${proxy.host}/${repo}:v1`]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(refused.hits, 1);
    const puts = proxy.stats.log.filter((e) => e.method === 'PUT' && e.kind === 'manifest').sort((a, b) => a.seq - b.seq);
    assert.deepEqual(puts.map((p) => p.status), [401, 201], 'the refused PUT was sent again');
    const fetched = tokens.requests.slice(before).filter((r) => r.scopes.includes(pushScope(repo)) && r.status === 200);
    assert.equal(fetched.length, 2, 'one token before the 401, a fresh one after it');
    assert.equal(await skopeoInspectDigest(`docker://${registry.host}/${repo}:v1`, { tlsVerify: false, creds }), expected);
  });

  test('--src-registry-token and --dest-registry-token are sent as they are', TIMEOUT, async () => {
    const pull = await fetchToken(tokens, ['repository:tok/app:pull']);
    const push = await fetchToken(tokens, [pushScope('given/app')]);
    const before = tokens.requests.length;
    const out = join(work, 'given');
    const pulled = await runFerry(['--debug', 'copy', '--src-tls-verify=false', '--src-registry-token', pull, `docker://${registry.host}/tok/app:v1`, `oci:${out}:app`]);
    assert.equal(pulled.code, 0, explain(pulled));
    const pushed = await runFerry(['--debug', 'copy', '--dest-tls-verify=false', '--dest-registry-token', push, `oci:${out}:app`, `docker://${registry.host}/given/app:v1`]);
    assert.equal(pushed.code, 0, explain(pushed));
    assert.equal(tokens.requests.length, before, 'ferry asked the token server for nothing');
    assert.equal(await skopeoInspectDigest(`docker://${registry.host}/given/app:v1`, { tlsVerify: false, creds }), expected);
    for (const run of [pulled, pushed]) assert.ok(![pull, push].some((t) => run.stderr.includes(t) || run.stdout.includes(t)), 'no token in the output');

    const bogus = await runFerry(['copy', '--src-tls-verify=false', '--src-registry-token', 'not-a-token', `docker://${registry.host}/tok/app:v1`, `oci:${join(work, 'bogus')}:app`]);
    assert.equal(bogus.code, 1, explain(bogus));
    assert.match(bogus.stderr, /401|unauthori[sz]ed|rejected/i);
  });

  test('ferry login checks the credentials through the token flow before storing them', TIMEOUT, async () => {
    const authFile = join(work, 'login', 'auth.json');
    const before = tokens.requests.length;
    const bad = await runFerry(['login', '--authfile', authFile, '--tls-verify=false', '-u', USER, '--password-stdin', registry.host], { input: 'wrong-password\n' });
    assert.equal(bad.code, 1, explain(bad));
    await assert.rejects(stat(authFile), 'nothing stored for refused credentials');
    assert.ok(tokens.requests.slice(before).some((r) => r.sentCredentials && r.status === 401), 'the token server refused them');

    const mark = tokens.requests.length;
    const good = await runFerry(['login', '--authfile', authFile, '--tls-verify=false', '-u', USER, '--password-stdin', registry.host], { input: `${PASSWORD}\n` });
    assert.equal(good.code, 0, explain(good));
    assert.ok(tokens.requests.slice(mark).some((r) => r.user === USER && r.status === 200), 'a token was issued to the user');
    assert.ok(!good.stderr.includes(PASSWORD) && !good.stdout.includes(PASSWORD));
    const written = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth?: string }> };
    assert.equal(Buffer.from(written.auths[registry.host]?.auth ?? '', 'base64').toString('utf8'), creds);
    const copied = await runFerry(['copy', '--authfile', authFile, '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${registry.host}/login/app:v1`]);
    assert.equal(copied.code, 0, explain(copied));
  });
});
