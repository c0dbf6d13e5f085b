import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { startTokenServer, type TokenServer } from './helpers/token-server.ts';

/**
 * ferry against a registry that delegates to a Bearer token server: anonymous
 * access is refused, credentials get tokens, tokens are reused across the many
 * requests of a copy, and a cross-repository mount asks for one token with
 * both repositories' scopes.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');

const USER = 'carol';
const PASSWORD = 'Tk-91ae0c-do-not-print';

const store = syntheticStore([{ name: 'src/app', tag: 'v1', layers: [300_000, 200_000, 100 * 1024, 120_000] }]);

describe('Bearer token registry', { skip }, () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  let work: string;
  let layout: string;
  let expected: string;
  const creds = `${USER}:${PASSWORD}`;
  const ref = (repo: string): string => `docker://${registry.host}/${repo}:v1`;
  const digestAt = (repo: string): Promise<string> => skopeoInspectDigest(ref(repo), { tlsVerify: false, creds });
  const requestsSince = (n: number) => tokens.requests.slice(n);

  before(async () => {
    tokens = await startTokenServer({ users: { [USER]: PASSWORD }, issuer: 'ferry-copy-tests', service: 'ferry-copy-registry' });
    registry = await startRegistry({ token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath } });
    work = await tempDir('ferry-token-copy');
    layout = join(work, 'layout');
    await writeOciLayout(store.repository('src/app'), layout, ['v1']);
    await seedRegistry(registry.host, store.repository('src/app'), ['v1'], { dest: { tlsVerify: false, creds } });
    expected = (await store.image('src/app', 'v1')).top.digest;
  });

  after(async () => {
    await registry?.stop();
    await tokens?.stop();
    if (work) await removeTempDir(work);
  });

  test('anonymous pulls and pushes are refused with exit 1', async () => {
    const pull = await runFerry(['copy', '--src-tls-verify=false', ref('src/app'), `oci:${join(work, 'anon')}:x`]);
    assert.equal(pull.code, 1, explain(pull));
    assert.match(pull.stderr, /401|unauthori[sz]ed/i);
    assert.doesNotMatch(pull.stderr, /^\s+at /m);
    const push = await runFerry(['copy', '--dest-tls-verify=false', '--dest-no-creds', `oci:${layout}:v1`, ref('anon/app')]);
    assert.equal(push.code, 1, explain(push));
    assert.match(push.stderr, /401|unauthori[sz]ed/i);
  });

  /** Token requests of a run grouped by their scope set: how often each set was asked for. */
  const perScopeSet = (since: number): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const r of requestsSince(since)) {
      const key = [...r.scopes].sort().join(' ');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  };

  test('with credentials a copy works, and one token per scope set serves every request', async () => {
    const before = tokens.requests.length;
    // One blob at a time, so the count does not depend on how requests race (see the next test).
    const run = await runFerry(['--debug', 'copy', '--jobs', '1', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, ref('pushed/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.ok(!run.stderr.includes(PASSWORD), 'the password is not printed');
    assert.doesNotMatch(run.stderr, /bearer\s+ey/i, 'no token is printed');
    const seen = requestsSince(before);
    assert.ok(seen.every((r) => r.user === USER && r.status === 200 && r.service === tokens.service));
    const registryRequests = run.stderr.split('\n').filter((l) => /^debug: [A-Z]+ /.test(l)).length;
    assert.ok(registryRequests >= 10, `registry requests: ${registryRequests}`);
    // Pull (HEAD) and pull,push (uploads, manifest): two tokens for every request of the copy.
    assert.deepEqual(Object.fromEntries(perScopeSet(before)), { 'repository:pushed/app:pull': 1, 'repository:pushed/app:pull,push': 1 });
    assert.equal(await digestAt('pushed/app'), expected);
  });

  test('concurrent first requests share one token per scope set', async () => {
    const before = tokens.requests.length;
    const run = await runFerry(['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout}:v1`, ref('parallel/app')]);
    assert.equal(run.code, 0, explain(run));
    const counts = perScopeSet(before);
    assert.ok([...counts.values()].every((n) => n === 1), `token requests per scope set: ${JSON.stringify(Object.fromEntries(counts))}`);
  });

  test('a mount between repositories asks for one token with both scopes', async () => {
    const before = tokens.requests.length;
    const run = await runFerry([
      '--json', 'copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--src-creds', creds, '--dest-creds', creds, ref('src/app'), ref('mounted/app'),
    ]);
    assert.equal(run.code, 0, explain(run));
    const result = (JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { result: { blobs: { mounted: number; uploaded: number } } }).result;
    assert.equal(result.blobs.uploaded, 0);
    assert.equal(result.blobs.mounted, (await store.image('src/app', 'v1')).blobs.size);
    const scopes = requestsSince(before).map((r) => [...r.scopes].sort());
    assert.ok(
      scopes.some((s) => s.includes('repository:mounted/app:pull,push') && s.includes('repository:src/app:pull')),
      `a token request with both scopes: ${JSON.stringify(scopes)}`,
    );
    assert.equal(await digestAt('mounted/app'), expected);
  });
});
