import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry, type FerryRun } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeServerCert, type CertificateAuthority } from './helpers/tls.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * A registry behind TLS (a CA made by openssl) with htpasswd Basic auth:
 * trust through --dest-cert-dir, certs.d under HOME or --dest-tls-verify=false;
 * credentials from flags, `ferry login` auth files, REGISTRY_AUTH_FILE and a
 * Docker credential helper; wrong ones fail cleanly and no secret is printed.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl', 'htpasswd');

const USER = 'alice';
/** Distinctive, so a leak anywhere in the output is easy to find. */
const PASSWORD = 'Pw-7f3c9e-do-not-print';
const WRONG_PASSWORD = 'Wrong-4b1d2a-do-not-print';

const store = syntheticStore([{ name: 'tls/app', tag: 'v1', layers: [200_000, 100 * 1024] }]);

/** Every form in which a password could leak: plain, in a Basic header, in an auth file. */
function secretForms(password: string): string[] {
  return [password, Buffer.from(`${USER}:${password}`).toString('base64'), Buffer.from(password).toString('base64')];
}

function assertNoSecret(run: FerryRun, password: string): void {
  for (const form of secretForms(password)) {
    assert.ok(!run.stdout.includes(form), `stdout shows a secret (${form.slice(0, 4)}…)`);
    assert.ok(!run.stderr.includes(form), `stderr shows a secret (${form.slice(0, 4)}…)`);
  }
  assert.doesNotMatch(run.stderr, /authorization:\s*(basic|bearer)\s+\S/i);
}

describe('TLS and htpasswd registry', { skip }, () => {
  let registry: RunningRegistry;
  let ca: CertificateAuthority;
  let work: string;
  let layout: string;
  let expected: string;
  const src = (): string => `oci:${layout}:v1`;
  const dst = (repo: string): string => `docker://${registry.host}/${repo}:v1`;
  const creds = `${USER}:${PASSWORD}`;

  before(async () => {
    work = await tempDir('ferry-tls-auth');
    ca = await makeCA(join(work, 'ca'));
    const server = await makeServerCert(ca);
    registry = await startRegistry({ tls: server, htpasswd: { [USER]: PASSWORD } });
    layout = join(work, 'layout');
    await writeOciLayout(store.repository('tls/app'), layout, ['v1']);
    expected = (await store.image('tls/app', 'v1')).top.digest;
  });

  after(async () => {
    await registry?.stop();
    if (work) await removeTempDir(work);
  });

  const skopeoDigest = (repo: string): Promise<string> => skopeoInspectDigest(dst(repo), { certDir: ca.certDir, creds });

  test('--dest-cert-dir and --dest-creds copy, and --debug prints no secret', async () => {
    const run = await runFerry(['--debug', 'copy', '--dest-cert-dir', ca.certDir, '--dest-creds', creds, src(), dst('certdir/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stderr, /debug: (PUT|POST|PATCH) https:\/\//, 'debug output shows requests');
    assertNoSecret(run, PASSWORD);
    assert.equal(await skopeoDigest('certdir/app'), expected);
  });

  test('without the CA the copy fails (exit 1) with a TLS message and a hint', async () => {
    const run = await runFerry(['copy', '--dest-creds', creds, src(), dst('untrusted/app')]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /TLS|certificate/i);
    assert.match(run.stderr, /hint:.*cert-dir/);
    assert.match(run.stderr, /--dest-tls-verify=false/);
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.ok(run.stderr.trim().split('\n').length <= 3, `a short message:\n${run.stderr}`);
    assertNoSecret(run, PASSWORD);
  });

  test('--dest-tls-verify=false accepts the unknown CA', async () => {
    const run = await runFerry(['copy', '--dest-tls-verify=false', '--dest-creds', creds, src(), dst('noverify/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoDigest('noverify/app'), expected);
  });

  test('a certs.d directory under HOME supplies the CA', async () => {
    const home = join(work, 'home-certs');
    const certsD = join(home, '.config', 'containers', 'certs.d', registry.host);
    await mkdir(certsD, { recursive: true });
    await copyFile(ca.cert, join(certsD, 'ca.crt'));
    const run = await runFerry(['copy', '--dest-creds', creds, src(), dst('certsd/app')], { env: { HOME: home } });
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoDigest('certsd/app'), expected);
  });

  test('a wrong password fails with exit 1 and is printed nowhere, --debug included', async () => {
    for (const debug of [[], ['--debug']]) {
      const run = await runFerry([...debug, 'copy', '--dest-cert-dir', ca.certDir, '--dest-creds', `${USER}:${WRONG_PASSWORD}`, src(), dst('wrong/app')]);
      assert.equal(run.code, 1, explain(run));
      assert.match(run.stderr, /401|unauthori[sz]ed/i);
      assert.match(run.stderr, /credentials/i, 'the hint talks about credentials');
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      assertNoSecret(run, WRONG_PASSWORD);
    }
  });

  test('ferry login writes a 0600 auth file that copy uses; logout removes the entry', async () => {
    const authFile = join(work, 'login', 'auth.json');
    const bad = await runFerry(['login', '--authfile', authFile, '--cert-dir', ca.certDir, '-u', USER, '--password-stdin', registry.host], { input: `${WRONG_PASSWORD}\n` });
    assert.equal(bad.code, 1, explain(bad));
    assertNoSecret(bad, WRONG_PASSWORD);
    await assert.rejects(stat(authFile), 'nothing is written for rejected credentials');

    const login = await runFerry(['login', '--authfile', authFile, '--cert-dir', ca.certDir, '-u', USER, '--password-stdin', registry.host], { input: `${PASSWORD}\n` });
    assert.equal(login.code, 0, explain(login));
    assertNoSecret(login, PASSWORD);
    assert.equal((await stat(authFile)).mode & 0o777, 0o600);
    const written = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth?: string }> };
    const entry = written.auths[registry.host];
    assert.ok(entry, `an auths entry for ${registry.host}: ${Object.keys(written.auths).join(', ')}`);
    assert.equal(Buffer.from(entry.auth ?? '', 'base64').toString('utf8'), creds);

    const copied = await runFerry(['copy', '--authfile', authFile, '--dest-cert-dir', ca.certDir, src(), dst('login/app')]);
    assert.equal(copied.code, 0, explain(copied));
    assert.equal(await skopeoDigest('login/app'), expected);

    const logout = await runFerry(['logout', '--authfile', authFile, registry.host]);
    assert.equal(logout.code, 0, explain(logout));
    const after = JSON.parse(await readFile(authFile, 'utf8')) as { auths?: Record<string, unknown> };
    assert.equal(after.auths?.[registry.host], undefined);
    const denied = await runFerry(['copy', '--authfile', authFile, '--dest-cert-dir', ca.certDir, src(), dst('logged-out/app')]);
    assert.equal(denied.code, 1, explain(denied));
  });

  test('REGISTRY_AUTH_FILE supplies the credentials', async () => {
    const authFile = join(work, 'env-auth.json');
    await writeFile(authFile, JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from(creds).toString('base64') } } }), { mode: 0o600 });
    const run = await runFerry(['copy', '--dest-cert-dir', ca.certDir, src(), dst('envfile/app')], { env: { REGISTRY_AUTH_FILE: authFile } });
    assert.equal(run.code, 0, explain(run));
    assertNoSecret(run, PASSWORD);
    assert.equal(await skopeoDigest('envfile/app'), expected);
  });

  test('a Docker config.json credHelpers entry runs docker-credential-test from PATH', async () => {
    const bin = join(work, 'helper-bin');
    const dockerConfig = join(work, 'docker-config');
    const calls = join(work, 'helper-calls.log');
    await mkdir(bin, { recursive: true });
    await mkdir(dockerConfig, { recursive: true });
    // The Docker credential helper protocol: `get`, the server URL on stdin, JSON on stdout.
    const script = [
      '#!/bin/sh',
      'read -r server',
      `echo "$1 $server" >> '${calls}'`,
      `if [ "$1" = get ] && [ "$server" = '${registry.host}' ]; then`,
      `  printf '{"ServerURL":"%s","Username":"${USER}","Secret":"${PASSWORD}"}' "$server"`,
      'else',
      '  echo "credentials not found in native keychain"; exit 1',
      'fi',
      '',
    ].join('\n');
    await writeFile(join(bin, 'docker-credential-test'), script);
    await chmod(join(bin, 'docker-credential-test'), 0o755);
    await writeFile(join(dockerConfig, 'config.json'), JSON.stringify({ credHelpers: { [registry.host]: 'test' } }));
    const run = await runFerry(['copy', '--dest-cert-dir', ca.certDir, src(), dst('helper/app')], {
      env: { DOCKER_CONFIG: dockerConfig, PATH: `${bin}${delimiter}${process.env['PATH'] ?? ''}` },
    });
    assert.equal(run.code, 0, explain(run));
    assertNoSecret(run, PASSWORD);
    assert.match(await readFile(calls, 'utf8'), new RegExp(`^get ${registry.host.replace(/\./g, '\\.')}$`, 'm'));
    assert.equal(await skopeoDigest('helper/app'), expected);
  });
});
