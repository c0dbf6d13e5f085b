import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { bearerChallenge, parseChallenges } from '../src/transports/registry/auth/challenge.ts';
import { repositoryScope, mergeScopes, mountScopes } from '../src/transports/registry/auth/scope.ts';
import { fetchToken } from '../src/transports/registry/auth/token.ts';
import { trackChild } from './helpers/cleanup.ts';
import { requirePeer } from './helpers/peers.ts';
import { startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { tempDir } from './helpers/tmp.ts';
import { startTokenServer, type TokenServer } from './helpers/token-server.ts';

/**
 * The token server helper against the real peers: Debian's docker-registry
 * trusts its JWTs, skopeo pushes through it, and ferry's challenge parser and
 * token client get tokens the registry accepts.
 */

const USER = 'alice';
const PASSWORD = 'wonder-land-42';
const READER = 'bob';
const READER_PASSWORD = 'read-only-7';

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A one-layer OCI image layout written by hand: a tiny gzipped tar layer, a config, a manifest, index.json tagged `v1`. */
async function writeLayout(dir: string): Promise<string> {
  const blobs = join(dir, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  const put = async (data: Buffer | string): Promise<{ digest: string; size: number }> => {
    const digest = sha256(data);
    await writeFile(join(blobs, digest.slice(7)), data);
    return { digest, size: Buffer.byteLength(data) };
  };
  // Gzipped, so skopeo pushes the layer as it is instead of compressing it (which would change the manifest).
  const tar = tarWithOneFile('hello.txt', 'hello from ferry\n');
  const layer = await put(gzipSync(tar));
  const config = await put(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] }, config: {} }),
  );
  const manifestText = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  });
  const manifest = await put(manifestText);
  const index = {
    schemaVersion: 2,
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'v1' } },
    ],
  };
  await writeFile(join(dir, 'index.json'), JSON.stringify(index));
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  return manifest.digest;
}

/** A ustar archive with one regular file: a 512-byte header, the content padded to 512, two zero blocks. */
function tarWithOneFile(name: string, content: string): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string): void => void header.write(value, offset, length, 'ascii');
  field(0, 100, name);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${Buffer.byteLength(content).toString(8).padStart(11, '0')}\0`);
  field(136, 12, '00000000000\0');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  header.fill(' ', 148, 156); // the checksum is computed with its own field as spaces
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const body = Buffer.alloc(Math.ceil(Buffer.byteLength(content) / 512) * 512);
  body.write(content);
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

function skopeo(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('skopeo', ['--insecure-policy', ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('token server with docker-registry and skopeo', { skip }, () => {
  let tokens: TokenServer;
  let registry: RunningRegistry;
  let layout: string;
  let manifestDigest: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    tokens = await startTokenServer({
      users: { [USER]: PASSWORD, [READER]: READER_PASSWORD },
      issuer: 'ferry-test-issuer',
      service: 'ferry-test-registry',
      grant: (user, scope) => (user === READER ? scope.actions.filter((a) => a === 'pull') : user === undefined ? [] : scope.actions),
    });
    registry = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath },
    });
    const dir = await tempDir('ferry-token-auth');
    layout = join(dir, 'layout');
    manifestDigest = await writeLayout(layout);
    // No auth file of the user's may take part: credentials come from the flags only.
    env = { ...process.env, REGISTRY_AUTH_FILE: join(dir, 'no-auth.json'), HOME: dir };
  });

  after(async () => {
    await registry?.stop();
    await tokens?.stop();
  });

  test('skopeo copy --dest-creds pushes through the token server', async () => {
    const before = tokens.requests.length;
    const result = await skopeo(
      ['copy', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASSWORD}`, `oci:${layout}:v1`, `docker://${registry.host}/ns/app:v1`],
      env,
    );
    assert.equal(result.code, 0, result.stderr);
    const seen = tokens.requests.slice(before);
    assert.ok(seen.length > 0, 'skopeo asked the token server');
    const granted = seen.filter((r) => r.status === 200 && r.user === USER);
    assert.ok(
      granted.some((r) => r.scopes.includes('repository:ns/app:pull,push')),
      `push scope requested: ${JSON.stringify(seen.map((r) => r.scopes))}`,
    );
    assert.ok(seen.every((r) => r.service === tokens.service));
  });

  test('skopeo with a wrong password is refused by the token server', async () => {
    const before = tokens.requests.length;
    const result = await skopeo(
      ['copy', '--dest-tls-verify=false', '--dest-creds', `${USER}:not-the-password`, `oci:${layout}:v1`, `docker://${registry.host}/ns/other:v1`],
      env,
    );
    assert.notEqual(result.code, 0);
    assert.ok(tokens.requests.slice(before).some((r) => r.status === 401 && r.sentCredentials));
  });

  test("ferry's challenge parser and fetchToken get a token the registry accepts", async () => {
    // Ensure the image is there regardless of test order.
    const pushed = await skopeo(
      ['copy', '--dest-tls-verify=false', '--dest-creds', `${USER}:${PASSWORD}`, `oci:${layout}:v1`, `docker://${registry.host}/ns/app:v1`],
      env,
    );
    assert.equal(pushed.code, 0, pushed.stderr);
    const manifestUrl = `${registry.url}/v2/ns/app/manifests/v1`;
    const accept = 'application/vnd.oci.image.manifest.v1+json';

    const first = await request(manifestUrl, { headers: { accept } });
    await first.body.dump();
    assert.equal(first.statusCode, 401);
    const challenge = bearerChallenge(parseChallenges(first.headers['www-authenticate']));
    assert.ok(challenge, 'a Bearer challenge');
    assert.equal(challenge.realm, tokens.realm);
    assert.equal(challenge.service, tokens.service);
    assert.deepEqual(challenge.scopes, ['repository:ns/app:pull']);

    const token = await fetchToken({
      realm: challenge.realm,
      service: challenge.service,
      scopes: mergeScopes(challenge.scopes),
      credentials: { kind: 'basic', username: READER, password: READER_PASSWORD },
    });
    const second = await request(manifestUrl, { headers: { accept, authorization: `Bearer ${token.token}` } });
    const body = Buffer.from(await second.body.arrayBuffer());
    assert.equal(second.statusCode, 200);
    assert.equal(sha256(body), manifestDigest);
    assert.ok(token.expiresAt > Date.now());
  });

  test('a token without push is refused for an upload; a mount token for two repositories works', async () => {
    const readOnly = await fetchToken({
      realm: tokens.realm,
      service: tokens.service,
      scopes: mergeScopes([repositoryScope('ns/app', ['pull', 'push'])]),
      credentials: { kind: 'basic', username: READER, password: READER_PASSWORD },
    });
    const upload = await request(`${registry.url}/v2/ns/app/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${readOnly.token}` },
    });
    await upload.body.dump();
    assert.equal(upload.statusCode, 401);

    const before = tokens.requests.length;
    const mount = await fetchToken({
      realm: tokens.realm,
      service: tokens.service,
      scopes: mountScopes('ns/copy', 'ns/app'),
      credentials: { kind: 'basic', username: USER, password: PASSWORD },
    });
    assert.deepEqual(tokens.requests.slice(before).map((r) => r.scopes), [['repository:ns/app:pull', 'repository:ns/copy:pull,push']]);
    const manifest = await request(`${registry.url}/v2/ns/app/manifests/${manifestDigest}`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json', authorization: `Bearer ${mount.token}` },
    });
    const { layers } = (await manifest.body.json()) as { layers: { digest: string }[] };
    const layer = layers[0]!.digest;
    const mounted = await request(`${registry.url}/v2/ns/copy/blobs/uploads/?mount=${layer}&from=ns/app`, {
      method: 'POST',
      headers: { authorization: `Bearer ${mount.token}` },
    });
    await mounted.body.dump();
    assert.equal(mounted.statusCode, 201, 'the registry mounted the blob with one token for both repositories');
  });
});

describe('token server signing with RSA', { skip }, () => {
  test('docker-registry accepts RS256 tokens with an x5c chain', async (t) => {
    const tokens = await startTokenServer({ users: { [USER]: PASSWORD }, issuer: 'rsa-issuer', service: 'rsa-registry', keyType: 'rsa' });
    t.after(() => tokens.stop());
    const registry = await startRegistry({
      token: { realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certPath },
      t,
    });
    const anonymous = await request(`${registry.url}/v2/`);
    await anonymous.body.dump();
    assert.equal(anonymous.statusCode, 401);
    const token = await fetchToken({
      realm: tokens.realm,
      service: tokens.service,
      scopes: [],
      credentials: { kind: 'basic', username: USER, password: PASSWORD },
    });
    const base = await request(`${registry.url}/v2/`, { headers: { authorization: `Bearer ${token.token}` } });
    await base.body.dump();
    assert.equal(base.statusCode, 200);
  });
});
