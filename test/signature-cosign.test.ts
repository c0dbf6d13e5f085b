import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, randomBytes, scryptSync, sign, type KeyObject } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { secretbox } from '@noble/ciphers/salsa.js';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { call, pushBlob, pushManifest } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { peerPath } from './helpers/peers.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runChild } from './helpers/run-child.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * cosign signatures without a cosign binary: the test makes the key pair, an
 * encrypted private key and a reference `.sig` with Node's crypto, following
 * cosign's published formats (simple-signing payload layer, base64 signature
 * in `dev.cosignproject.cosign/signature`, tag `sha256-<hex>.sig`; scrypt +
 * nacl secretbox key file), and pushes them with raw HTTP. ferry verifies
 * and refuses a wrong key; the `.sig` ferry writes is verified by
 * `openssl dgst -sha256 -verify`. A cosign v3 bundle (DSSE, referrers API
 * of ferry serve) is recognised and its signature checked.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'openssl');

const images = syntheticStore([{ name: 'cosign/app', tag: 'v1', layers: [40 * 1024] }]);

const SIMPLE_SIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json';
const SIG_ANNOTATION = 'dev.cosignproject.cosign/signature';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

const sha256 = (data: Uint8Array): string => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** cosign's payload: identity is the repository only, "optional" null when there are no annotations. */
function cosignPayload(repository: string, digest: string): Buffer {
  return Buffer.from(JSON.stringify({ critical: { identity: { 'docker-reference': repository }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' }, optional: null }));
}

/** Pushes a `.sig` image holding one signature of `digest`, as cosign lays it out. */
async function pushCosignSignature(base: string, repository: string, digest: string, payload: Buffer, key: KeyObject): Promise<string> {
  const signature = sign('sha256', payload, key).toString('base64');
  const config = Buffer.from(JSON.stringify({ architecture: '', created: '0001-01-01T00:00:00Z', history: [{ created: '0001-01-01T00:00:00Z' }], os: '', rootfs: { type: 'layers', diff_ids: [sha256(payload)] }, config: {} }));
  await pushBlob(base, repository, sha256(payload), payload);
  await pushBlob(base, repository, sha256(config), config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: sha256(config) },
    layers: [{ mediaType: SIMPLE_SIGNING, size: payload.length, digest: sha256(payload), annotations: { [SIG_ANNOTATION]: signature } }],
  }));
  const tag = `sha256-${digest.slice('sha256:'.length)}.sig`;
  const put = await pushManifest(base, repository, tag, { bytes: manifest, mediaType: OCI_MANIFEST, digest: sha256(manifest) as `${string}:${string}` });
  assert.equal(put.status, 201, put.body.toString());
  return sha256(manifest);
}

/** cosign's encrypted key file, written from the format description: scrypt(N=32768, r=8, p=1) → nacl secretbox over PKCS#8. */
function encryptedCosignKey(key: KeyObject, passphrase: string): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(24);
  const boxKey = scryptSync(passphrase, salt, 32, { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const ciphertext = secretbox(boxKey, nonce).seal(key.export({ format: 'der', type: 'pkcs8' }));
  const body = JSON.stringify({ kdf: { name: 'scrypt', params: { N: 32768, r: 8, p: 1 }, salt: salt.toString('base64') }, cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') }, ciphertext: Buffer.from(ciphertext).toString('base64') });
  return `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(body).toString('base64').replace(/(.{64})/g, '$1\n')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`;
}

interface Verified {
  allowed: boolean;
  manifests: Array<{ reason?: string; signatures: Array<{ kind: string; verified: boolean; identity?: string; problem?: string; key?: string }> }>;
}

describe('cosign signatures', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let base: string;
  let digest: string;
  let publicKeyFile: string;
  let wrongKeyFile: string;
  let keyFile: string;
  let passphraseFile: string;
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const wrong = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ref = (repo: string, tag = 'v1'): string => `docker://${registry.host}/${repo}:${tag}`;

  async function policy(name: string, scope: string, requirement: Record<string, unknown>): Promise<string> {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }], transports: { docker: { [scope]: [{ type: 'sigstoreSigned', ...requirement }] } } }));
    return path;
  }

  async function verify(policyFile: string, image: string): Promise<{ code: number | null; result: Verified; stderr: string }> {
    const run = await runFerry(['verify-signatures', '--policy', policyFile, '--tls-verify=false', '--json', image]);
    const line = run.stdout.split('\n').find((l) => l.startsWith('{"result"'));
    return { code: run.code, result: line ? (JSON.parse(line) as { result: Verified[] }).result[0]! : { allowed: false, manifests: [] }, stderr: run.stderr };
  }

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-sig-cosign')]);
    base = registry.url;
    await seedRegistry(registry.host, images.repository('cosign/app'), ['v1']);
    digest = await skopeoInspectDigest(ref('cosign/app'), { tlsVerify: false });
    publicKeyFile = join(work, 'cosign.pub');
    wrongKeyFile = join(work, 'wrong.pub');
    keyFile = join(work, 'cosign.key');
    passphraseFile = join(work, 'pass');
    await writeFile(publicKeyFile, keys.publicKey.export({ format: 'pem', type: 'spki' }));
    await writeFile(wrongKeyFile, wrong.publicKey.export({ format: 'pem', type: 'spki' }));
    await writeFile(keyFile, encryptedCosignKey(keys.privateKey, 'hunter2'));
    await writeFile(passphraseFile, 'hunter2\n');
    await pushCosignSignature(base, 'cosign/app', digest, cosignPayload(`${registry.host}/cosign/app`, digest), keys.privateKey);
  });

  after(async () => {
    await registry?.stop();
  });

  test('ferry verifies a cosign signature with the public key and refuses a wrong key', async () => {
    const scope = `${registry.host}/cosign`;
    const good = await verify(await policy('good', scope, { keyPath: publicKeyFile, signedIdentity: { type: 'matchRepository' } }), ref('cosign/app'));
    assert.equal(good.code, 0, good.stderr);
    const sig = good.result.manifests[0]!.signatures[0]!;
    assert.deepEqual([sig.kind, sig.verified, sig.identity], ['sigstore', true, `${registry.host}/cosign/app`]);

    const wrongKey = await verify(await policy('wrong', scope, { keyData: (await readFile(wrongKeyFile)).toString('base64'), signedIdentity: { type: 'matchRepository' } }), ref('cosign/app'));
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.result.manifests[0]!.reason ?? '', /wrong key or altered signature/);

    // cosign signs the repository only, so the default rule (a tagged image needs the exact reference) refuses it.
    const strict = await verify(await policy('strict', scope, { keyPath: publicKeyFile }), ref('cosign/app'));
    assert.equal(strict.code, 1);
    assert.match(strict.result.manifests[0]!.reason ?? '', /identity mismatch/);

    const keyless = await verify(await policy('keyless', scope, { fulcio: { caPath: '/dev/null', oidcIssuer: 'https://issuer.example', subjectEmail: 'a@example.com' }, rekorPublicKeyPath: '/dev/null' }), ref('cosign/app'));
    assert.equal(keyless.code, 1);
    assert.match(keyless.result.manifests[0]!.reason ?? '', /keyless sigstore verification .* is not supported yet/);
  });

  test('a copy carries the .sig byte for byte, and it still verifies at the destination', async () => {
    const sigTag = `sha256-${digest.slice(7)}.sig`;
    const copy = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', ref('cosign/app'), ref('mirror/cosign/app')]);
    assert.equal(copy.code, 0, explain(copy));
    const source = await call(base, 'HEAD', `/v2/cosign/app/manifests/${sigTag}`, { headers: { accept: OCI_MANIFEST } });
    const copied = await call(base, 'HEAD', `/v2/mirror/cosign/app/manifests/${sigTag}`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(copied.status, 200, 'the .sig tag exists at the destination');
    assert.equal(copied.headers.get('docker-content-digest'), source.headers.get('docker-content-digest'));
    const there = await verify(await policy('mirror', `${registry.host}/mirror`, { keyPath: publicKeyFile, signedIdentity: { type: 'exactRepository', dockerRepository: `${registry.host}/cosign/app` } }), ref('mirror/cosign/app'));
    assert.equal(there.code, 0, there.stderr);

    const removed = await runFerry(['copy', '--insecure-policy', '--remove-signatures', '--src-tls-verify=false', '--dest-tls-verify=false', ref('cosign/app'), ref('bare/cosign/app')]);
    assert.equal(removed.code, 0, explain(removed));
    assert.equal((await call(base, 'HEAD', `/v2/bare/cosign/app/manifests/${sigTag}`)).status, 404, '--remove-signatures leaves the .sig behind');
  });

  test('ferry signs with a cosign key made in the test; openssl verifies the .sig ferry wrote', async () => {
    const sign = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--sign-by-sigstore-private-key', keyFile, '--sign-passphrase-file', passphraseFile, ref('cosign/app'), ref('signed/cosign/app', 'v2')]);
    assert.equal(sign.code, 0, explain(sign));
    assert.match(sign.stderr, /signed \(sigstore\)/);
    const manifestReply = await call(base, 'GET', `/v2/signed/cosign/app/manifests/sha256-${digest.slice(7)}.sig`, { headers: { accept: OCI_MANIFEST } });
    assert.equal(manifestReply.status, 200);
    const manifest = JSON.parse(manifestReply.body.toString()) as { layers: Array<{ mediaType: string; digest: string; annotations: Record<string, string> }> };
    // The carried signature first, then ferry's.
    const ours = manifest.layers.at(-1)!;
    assert.equal(ours.mediaType, SIMPLE_SIGNING);
    const payload = (await call(base, 'GET', `/v2/signed/cosign/app/blobs/${ours.digest}`)).body;
    const claims = JSON.parse(payload.toString()) as { critical: { identity: { 'docker-reference': string }; image: { 'docker-manifest-digest': string }; type: string } };
    assert.deepEqual(claims.critical, { identity: { 'docker-reference': `${registry.host}/signed/cosign/app:v2` }, image: { 'docker-manifest-digest': digest }, type: 'cosign container image signature' });

    await writeFile(join(work, 'payload.json'), payload);
    await writeFile(join(work, 'payload.sig'), Buffer.from(ours.annotations[SIG_ANNOTATION]!, 'base64'));
    const openssl = await runChild(peerPath('openssl'), ['dgst', '-sha256', '-verify', publicKeyFile, '-signature', join(work, 'payload.sig'), join(work, 'payload.json')], { env: process.env, timeoutMs: 30_000 });
    assert.equal(openssl.code, 0, openssl.stderr);
    assert.match(openssl.stdout.toString(), /Verified OK/);

    // The full reference is signed, so the default identity rule accepts it.
    const verified = await verify(await policy('ferry-signed', `${registry.host}/signed`, { keyPath: publicKeyFile }), ref('signed/cosign/app', 'v2'));
    assert.equal(verified.code, 0, verified.stderr);
  });

  test('a wrong passphrase is refused before anything is copied', async () => {
    await writeFile(join(work, 'bad-pass'), 'not it\n');
    const run = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', '--sign-by-sigstore-private-key', keyFile, '--sign-passphrase-file', join(work, 'bad-pass'), ref('cosign/app'), ref('never/cosign/app')]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /cannot decrypt the private key \(wrong passphrase\?\)/);
    assert.equal((await call(base, 'HEAD', '/v2/never/cosign/app/manifests/v1')).status, 404);
  });

  test('generate-sigstore-key writes a pair that decrypts by the published format and never overwrites', async (t) => {
    const dir = await tempDir('ferry-keygen', t);
    const prefix = join(dir, 'release');
    const run = await runFerry(['generate-sigstore-key', '--output-prefix', prefix, '--passphrase-file', passphraseFile]);
    assert.equal(run.code, 0, explain(run));
    const pem = await readFile(`${prefix}.key`, 'utf8');
    const body = JSON.parse(Buffer.from(/-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----([\s\S]+)-----END/.exec(pem)![1]!.replace(/\s+/g, ''), 'base64').toString()) as {
      kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
      cipher: { name: string; nonce: string };
      ciphertext: string;
    };
    assert.deepEqual([body.kdf.name, body.cipher.name], ['scrypt', 'nacl/secretbox']);
    const boxKey = scryptSync('hunter2', Buffer.from(body.kdf.salt, 'base64'), 32, { N: body.kdf.params.N, r: body.kdf.params.r, p: body.kdf.params.p, maxmem: 64 * 1024 * 1024 });
    const der = secretbox(boxKey, Buffer.from(body.cipher.nonce, 'base64')).open(Buffer.from(body.ciphertext, 'base64'));
    const { createPrivateKey, createPublicKey } = await import('node:crypto');
    const derived = createPublicKey(createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })).export({ format: 'pem', type: 'spki' });
    assert.equal(derived, await readFile(`${prefix}.pub`, 'utf8'));
    const again = await runFerry(['generate-sigstore-key', '--output-prefix', prefix, '--passphrase-file', passphraseFile]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /already exists; refusing to overwrite/);
  });

  test('a cosign v3 bundle found through the referrers API is recognised, and its signature checked', async (t) => {
    const server = await startTestServer(t);
    const serverBase = `http://${server.host}`;
    const copy = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', '--dest-tls-verify=false', ref('cosign/app'), `docker://${server.host}/v3/app:v1`]);
    assert.equal(copy.code, 0, explain(copy));
    const subject = (await call(serverBase, 'HEAD', '/v2/v3/app/manifests/v1', { headers: { accept: OCI_MANIFEST } })).headers;
    const statement = Buffer.from(JSON.stringify({ _type: 'https://in-toto.io/Statement/v1', subject: [{ name: `${server.host}/v3/app`, digest: { sha256: digest.slice(7) } }], predicateType: 'https://sigstore.dev/cosign/sign/v1', predicate: {} }));
    const payloadType = 'application/vnd.in-toto+json';
    const pae = Buffer.concat([Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${statement.length} `), statement]);
    const bundle = Buffer.from(JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      verificationMaterial: { publicKey: { hint: 'test' }, tlogEntries: [] },
      dsseEnvelope: { payload: statement.toString('base64'), payloadType, signatures: [{ sig: sign('sha256', pae, keys.privateKey).toString('base64'), keyid: '' }] },
    }));
    const empty = Buffer.from('{}');
    await pushBlob(serverBase, 'v3/app', sha256(bundle), bundle);
    await pushBlob(serverBase, 'v3/app', sha256(empty), empty);
    const referrer = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
      layers: [{ mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json', digest: sha256(bundle), size: bundle.length }],
      subject: { mediaType: subject.get('content-type')!, digest, size: Number(subject.get('content-length')) },
    }));
    const put = await pushManifest(serverBase, 'v3/app', sha256(referrer), { bytes: referrer, mediaType: OCI_MANIFEST, digest: sha256(referrer) as `${string}:${string}` });
    assert.equal(put.status, 201, put.body.toString());

    const scope = `${server.host}/v3`;
    const fromSource = { type: 'exactRepository', dockerRepository: `${registry.host}/cosign/app` };
    const listed = await verify(await policy('bundle', scope, { keyPath: publicKeyFile, signedIdentity: fromSource }), `docker://${server.host}/v3/app:v1`);
    const bundleRow = listed.result.manifests[0]!.signatures.find((s) => s.kind === 'sigstore-bundle');
    assert.ok(bundleRow, `the bundle is listed: ${JSON.stringify(listed.result)}`);
    assert.equal(bundleRow.key, publicKeyFile, 'its signature verified with the policy key');
    assert.match(bundleRow.problem ?? '', /names no registry identity/);
    assert.equal(listed.result.allowed, true, 'the carried .sig still accepts the image');

    const wrongRow = (await verify(await policy('bundle-wrong', scope, { keyPath: wrongKeyFile, signedIdentity: fromSource }), `docker://${server.host}/v3/app:v1`)).result.manifests[0]!.signatures.find((s) => s.kind === 'sigstore-bundle');
    assert.match(wrongRow?.problem ?? '', /does not verify with a trusted key/);
  });
});
