import assert from 'node:assert/strict';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeClientCert, makeServerCert, type CertificateAuthority, type ClientCert } from './helpers/tls.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * TLS as skopeo users expect it, replayed against Debian's docker-registry
 * behind a CA made with openssl:
 * - the system trust store counts: a CA named by SSL_CERT_FILE or found in
 *   SSL_CERT_DIR is trusted without --cert-dir, as skopeo trusts it (the
 *   machine's real store is never touched);
 * - an unknown CA is reported as "certificate signed by unknown authority";
 * - a registry demanding a client certificate that is missing or not
 *   accepted gets "the registry rejected the client certificate", after one
 *   handshake (no retries: the registry logs each refused handshake);
 * - --cert-dir naming a file or nothing is a usage error;
 * - a bare boolean flag means true and never takes the next word.
 * skopeo checks every image ferry writes.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');

const store = syntheticStore([{ name: 'trust/app', tag: 'v1', layers: [64 * 1024, 4096] }]);

/** No system-store variables from the environment running the tests. */
const NO_SSL_ENV = { SSL_CERT_FILE: undefined, SSL_CERT_DIR: undefined };

describe('TLS trust, client certificates and boolean flags', { skip }, () => {
  let work: string;
  let ca: CertificateAuthority;
  let otherCa: CertificateAuthority;
  let client: ClientCert;
  let tls: RunningRegistry;
  let mtls: RunningRegistry;
  let plain: RunningRegistry;
  let layout: string;
  let expected: string;
  const src = (): string => `oci:${layout}:v1`;

  before(async () => {
    work = await tempDir('ferry-tls-trust');
    [ca, otherCa] = await Promise.all([makeCA(join(work, 'ca')), makeCA(join(work, 'other-ca'))]);
    const server = await makeServerCert(ca);
    client = await makeClientCert(ca);
    [tls, mtls, plain] = await Promise.all([startRegistry({ tls: server }), startRegistry({ tls: { ...server, clientCAs: [ca.cert] } }), startRegistry()]);
    layout = join(work, 'layout');
    await writeOciLayout(store.repository('trust/app'), layout, ['v1']);
    expected = (await store.image('trust/app', 'v1')).top.digest;
  });

  after(async () => {
    await Promise.all([tls?.stop(), mtls?.stop(), plain?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('an unknown CA fails with "certificate signed by unknown authority" and the usual hints', async () => {
    const run = await runFerry(['copy', src(), `docker://${tls.host}/trust/unknown:v1`], { env: NO_SSL_ENV });
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /certificate signed by unknown authority/);
    assert.match(run.stderr, /hint: .*--dest-cert-dir DIR.*update-ca-certificates, SSL_CERT_FILE.*--dest-tls-verify=false/);
    assert.doesNotMatch(run.stderr, /^\s+at /m);
  });

  test('SSL_CERT_FILE adds the CA to the trusted ones without --cert-dir, as skopeo reads it', async () => {
    const env = { SSL_CERT_FILE: ca.cert, SSL_CERT_DIR: undefined };
    const run = await runFerry(['copy', src(), `docker://${tls.host}/trust/file:v1`], { env });
    assert.equal(run.code, 0, explain(run));
    // skopeo (Go) trusts the same file the same way, with no --cert-dir either.
    assert.equal(await skopeoInspectDigest(`docker://${tls.host}/trust/file:v1`, { env: { SSL_CERT_FILE: ca.cert } }), expected);
  });

  test('SSL_CERT_DIR: every certificate file of the directories is trusted', async () => {
    const env = { SSL_CERT_FILE: undefined, SSL_CERT_DIR: `${join(work, 'nowhere')}:${ca.certDir}` };
    const run = await runFerry(['copy', src(), `docker://${tls.host}/trust/dir:v1`], { env });
    assert.equal(run.code, 0, explain(run));
    assert.equal(await skopeoInspectDigest(`docker://${tls.host}/trust/dir:v1`, { certDir: ca.certDir }), expected);
    // Another CA in the store does not make this registry trusted.
    const other = await runFerry(['inspect', `docker://${tls.host}/trust/dir:v1`], { env: { SSL_CERT_FILE: otherCa.cert, SSL_CERT_DIR: otherCa.certDir } });
    assert.equal(other.code, 1, explain(other));
    assert.match(other.stderr, /certificate signed by unknown authority/);
  });

  /** Handshakes the registry refused so far (Go's server logs each one). */
  const refusedHandshakes = async (): Promise<number> => ((await mtls.readLog()).match(/TLS handshake error/g) ?? []).length;

  test('a registry that wants a client certificate and gets none says so, and nothing is retried', async () => {
    // A copy sends requests in parallel: all fail with the one message, none is retried.
    const copy = await runFerry(['copy', '--dest-cert-dir', ca.certDir, src(), `docker://${mtls.host}/trust/nocert:v1`], { env: NO_SSL_ENV });
    assert.equal(copy.code, 1, explain(copy));
    assert.match(copy.stderr, /the registry rejected the client certificate: none was given and the registry requires one/);
    assert.match(copy.stderr, /hint: give a client certificate as client\.cert \+ client\.key in --dest-cert-dir DIR/);
    assert.doesNotMatch(copy.stderr, /session has been destroyed|retrying/i);
    // inspect makes one request: the registry sees exactly one refused handshake (four with the default 3 retries).
    const before = await refusedHandshakes();
    const inspect = await runFerry(['inspect', '--cert-dir', ca.certDir, `docker://${mtls.host}/trust/nocert:v1`], { env: NO_SSL_ENV });
    assert.equal(inspect.code, 1, explain(inspect));
    assert.match(inspect.stderr, /the registry rejected the client certificate/);
    assert.equal(await refusedHandshakes(), before + 1, 'one handshake, no retries');
  });

  test('a client certificate the registry does not accept is named as such; the right one works', async () => {
    // The registry's CA for trust, but a client pair issued by another CA.
    const wrong = join(work, 'wrong-client');
    const other = await makeClientCert(otherCa);
    await mkdir(wrong, { recursive: true });
    await copyFile(ca.cert, join(wrong, 'ca.crt'));
    await copyFile(other.cert, join(wrong, 'client.cert'));
    await copyFile(other.key, join(wrong, 'client.key'));
    const run = await runFerry(['copy', '--dest-cert-dir', wrong, src(), `docker://${mtls.host}/trust/wrongcert:v1`], { env: NO_SSL_ENV });
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /the registry rejected the client certificate: TLS alert/);
    assert.match(run.stderr, /hint: the registry does not accept this client certificate/);
    assert.doesNotMatch(run.stderr, /session has been destroyed|retrying/i);

    const ok = await runFerry(['copy', '--dest-cert-dir', client.certDir, src(), `docker://${mtls.host}/trust/mtls:v1`], { env: NO_SSL_ENV });
    assert.equal(ok.code, 0, explain(ok));
    assert.equal(await skopeoInspectDigest(`docker://${mtls.host}/trust/mtls:v1`, { certDir: client.certDir }), expected);
  });

  test('--cert-dir naming a file or a missing directory is a usage error, before anything moves', async () => {
    for (const [dir, message] of [[ca.cert, /--dest-cert-dir .*ca\.crt is a file, not a directory/], [join(work, 'missing'), /--dest-cert-dir .*missing: no such directory/]] as const) {
      const run = await runFerry(['copy', '--dest-cert-dir', dir, src(), `docker://${tls.host}/trust/badcertdir:v1`], { env: NO_SSL_ENV });
      assert.equal(run.code, 2, explain(run));
      assert.match(run.stderr, message);
      assert.match(run.stderr, /hint: --dest-cert-dir names a directory holding ca\.crt/);
    }
    const missing = await runSkopeo(['inspect', '--raw', `--cert-dir=${ca.certDir}`, `docker://${tls.host}/trust/badcertdir:v1`]);
    assert.notEqual(missing.code, 0, 'nothing was pushed');
  });

  test('a bare boolean flag means true and leaves the image reference alone; values need "="', async () => {
    const image = `docker://${tls.host}/trust/file:v1`;
    const env = { SSL_CERT_FILE: ca.cert, SSL_CERT_DIR: undefined };
    const bare = await runFerry(['inspect', '--tls-verify', image], { env });
    assert.equal(bare.code, 0, explain(bare));
    assert.equal((JSON.parse(bare.stdout) as { Digest: string }).Digest, expected);
    for (const value of ['true', '1', 'yes', 'TRUE']) {
      const run = await runFerry(['inspect', `--tls-verify=${value}`, '--raw', image], { env });
      assert.equal(run.code, 0, `${value}: ${explain(run)}`);
    }
    // false (also 0, no) allows plain HTTP, as skopeo's --tls-verify=false does.
    await runFerry(['copy', '--dest-tls-verify=false', src(), `docker://${plain.host}/trust/plain:v1`]);
    for (const value of ['false', '0', 'no']) {
      const run = await runFerry(['inspect', '--raw', `--tls-verify=${value}`, `docker://${plain.host}/trust/plain:v1`]);
      assert.equal(run.code, 0, `${value}: ${explain(run)}`);
    }
    // A switch also takes =VALUE, and the last word wins as in skopeo.
    const raw = await runFerry(['inspect', '--raw=true', '--raw=false', '--tls-verify=no', `docker://${plain.host}/trust/plain:v1`]);
    assert.equal(raw.code, 0, explain(raw));
    assert.equal((JSON.parse(raw.stdout) as { Digest: string }).Digest, expected, 'not raw: the inspect JSON');
    const bad = await runFerry(['inspect', '--tls-verify=maybe', image]);
    assert.equal(bad.code, 2, explain(bad));
    assert.match(bad.stderr, /--tls-verify: expected true or false, got "maybe"/);
    assert.equal(await skopeoInspectDigest(`docker://${plain.host}/trust/plain:v1`, { tlsVerify: false }), expected);
  });
});
