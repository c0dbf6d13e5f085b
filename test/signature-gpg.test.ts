import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { gpgHome, type GpgHome, type GpgKey } from './helpers/gpg.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { serveDirectory } from './helpers/static-server.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * GPG simple signing against skopeo 1.9 and GnuPG as peers: skopeo signs
 * and ferry verifies; ferry signs and `skopeo copy --policy` verifies; a copy
 * ferry makes of a signed image still verifies with skopeo at the mirror's
 * name through remapIdentity; unsigned, re-keyed, altered and misplaced
 * signatures are refused with the reason, before anything is written.
 * Signatures live in a file:// lookaside configured by a temporary registries.d.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'gpg', 'gpgv', 'gpgconf');

const images = syntheticStore([
  { name: 'sig/app', tag: 'v1', layers: [64 * 1024, 32 * 1024] },
  { name: 'sig/other', tag: 'v1', layers: [48 * 1024] },
  {
    name: 'sig/multi',
    tag: 'v1',
    layers: [16 * 1024],
    platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 'ppc64le' }],
  },
]);

interface VerifyResult {
  image: string;
  allowed: boolean;
  manifests: Array<{ digest: string; allowed: boolean; reason?: string; signatures: Array<{ kind: string; verified: boolean; identity?: string; key?: string; problem?: string }> }>;
}

describe('GPG simple signing with skopeo as the peer', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let gpg: GpgHome;
  let alice: GpgKey;
  let bob: GpgKey;
  let registriesD: string;
  let lookaside: string;
  const tls = ['--src-tls-verify=false', '--dest-tls-verify=false'];
  const ref = (repo: string, tag = 'v1'): string => `docker://${registry.host}/${repo}:${tag}`;
  const signedBy = (key: GpgKey, identity?: unknown) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath: key.publicKeyFile, ...(identity ? { signedIdentity: identity } : {}) });

  async function writePolicy(name: string, docker: Record<string, unknown[]>): Promise<string> {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }], transports: { docker } }, null, 2));
    return path;
  }

  /** The lookaside file of signature `n` of `repo` at `digest` (containers/image's layout). */
  const lookasideFile = (repo: string, digest: string, n = 1): string => join(lookaside, `${repo}@${digest.replace(':', '=')}`, `signature-${n}`);

  async function verify(policy: string, image: string): Promise<{ code: number | null; results: VerifyResult[]; stderr: string }> {
    const run = await runFerry(['--policy', policy, 'verify-signatures', '--registries.d', registriesD, '--tls-verify=false', '--json', image], { env: gpg.env });
    const line = run.stdout.split('\n').find((l) => l.startsWith('{"result"'));
    return { code: run.code, results: line ? (JSON.parse(line) as { result: VerifyResult[] }).result : [], stderr: run.stderr };
  }

  /** skopeo copies `from` to `to` signing with `key` (its signature goes to the lookaside). */
  async function skopeoSign(from: string, to: string, key: GpgKey): Promise<void> {
    await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--sign-by', key.fingerprint, from, to], { env: gpg.env, registriesD });
  }

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-sig-gpg')]);
    gpg = await gpgHome();
    alice = await gpg.generateKey('alice');
    bob = await gpg.generateKey('bob', 'correct horse');
    registriesD = join(work, 'registries.d');
    lookaside = join(work, 'lookaside');
    await mkdir(registriesD);
    await writeFile(join(registriesD, 'default.yaml'), `default-docker:\n  lookaside: file://${lookaside}\n  lookaside-staging: file://${lookaside}\n`);
    await seedRegistry(registry.host, images.repository('sig/app'), ['v1']);
    await seedRegistry(registry.host, images.repository('sig/other'), ['v1']);
    await seedRegistry(registry.host, images.repository('sig/multi'), ['v1']);
    await skopeoSign(ref('sig/app'), ref('signed/app'), alice);
  });

  after(async () => {
    await registry?.stop();
    await gpg?.dispose();
  });

  test('skopeo signs, ferry verifies; ferry carries the signature and skopeo verifies the mirror copy through remapIdentity', async () => {
    const digest = await skopeoInspectDigest(ref('signed/app'), { tlsVerify: false });
    const policy = await writePolicy('carry', {
      [`${registry.host}/signed`]: [signedBy(alice)],
      [`${registry.host}/mirror`]: [signedBy(alice, { type: 'remapIdentity', prefix: `${registry.host}/mirror`, signedPrefix: registry.host })],
    });
    const verified = await verify(policy, ref('signed/app'));
    assert.equal(verified.code, 0, verified.stderr);
    const sig = verified.results[0]!.manifests[0]!.signatures[0]!;
    assert.deepEqual([sig.kind, sig.verified, sig.identity, sig.key], ['simple-signing', true, `${registry.host}/signed/app:v1`, alice.fingerprint]);

    const copied = await runFerry(['copy', '--policy', policy, '--registries.d', registriesD, ...tls, ref('signed/app'), ref('mirror/signed/app')]);
    assert.equal(copied.code, 0, explain(copied));
    assert.match(copied.stderr, /carried 1 simple signing/);
    // The signature went to the lookaside of the mirror repository, byte for byte.
    assert.deepEqual(await readFile(lookasideFile('mirror/signed/app', digest)), await readFile(lookasideFile('signed/app', digest)));
    await skopeo(['copy', '--src-tls-verify=false', ref('mirror/signed/app'), `dir:${join(work, 'from-mirror')}`], { policy, registriesD, env: gpg.env });

    // Without the remapping, the signed identity (signed/app) does not name the mirror: both tools refuse.
    const strict = await writePolicy('strict-mirror', { [`${registry.host}/mirror`]: [signedBy(alice)] });
    const refused = await runSkopeo(['copy', '--src-tls-verify=false', ref('mirror/signed/app'), `dir:${join(work, 'strict')}`], { policy: strict, registriesD, env: gpg.env });
    assert.notEqual(refused.code, 0, 'skopeo refuses the identity too');
    const ours = await verify(strict, ref('mirror/signed/app'));
    assert.equal(ours.code, 1);
    assert.match(ours.results[0]!.manifests[0]!.reason ?? '', /identity mismatch/);
  });

  test('ferry signs with a passphrase-protected key; skopeo copy --policy accepts it for that key only', async () => {
    const signed = await runFerry(
      ['copy', '--insecure-policy', '--registries.d', registriesD, ...tls, '--sign-by', bob.fingerprint, '--sign-passphrase-file', bob.passphraseFile!, ref('sig/app'), ref('ferry-signed/app')],
      { env: gpg.env },
    );
    assert.equal(signed.code, 0, explain(signed));
    assert.match(signed.stderr, /signed \(gpg\)/);
    const policy = await writePolicy('bob', { [`${registry.host}/ferry-signed`]: [{ ...signedBy(bob), keyPath: bob.armoredKeyFile }] });
    await skopeo(['copy', '--src-tls-verify=false', ref('ferry-signed/app'), `dir:${join(work, 'bob-ok')}`], { policy, registriesD, env: gpg.env });
    const aliceOnly = await writePolicy('alice-only', { [`${registry.host}/ferry-signed`]: [signedBy(alice)] });
    const refused = await runSkopeo(['copy', '--src-tls-verify=false', ref('ferry-signed/app'), `dir:${join(work, 'bob-refused')}`], { policy: aliceOnly, registriesD, env: gpg.env });
    assert.notEqual(refused.code, 0, 'a policy trusting another key refuses the image');
    const ours = await verify(aliceOnly, ref('ferry-signed/app'));
    assert.match(ours.results[0]!.manifests[0]!.reason ?? '', /wrong key/);

    // A key gpg cannot use fails before anything is copied.
    const unknown = await runFerry(['copy', '--insecure-policy', '--registries.d', registriesD, ...tls, '--sign-by', 'F'.repeat(40), ref('sig/app'), ref('never-signed/app')], { env: gpg.env });
    assert.equal(unknown.code, 1, explain(unknown));
    assert.match(unknown.stderr, /gpg could not sign with key F{40}/);
    assert.doesNotMatch(unknown.stderr, /wrote manifest/);
  });

  test('an unsigned image is refused before any blob reaches a registry or layout destination', async () => {
    const policy = await writePolicy('unsigned', { [`${registry.host}/sig`]: [signedBy(alice)] });
    const toRegistry = await runFerry(['copy', '--policy', policy, '--registries.d', registriesD, ...tls, ref('sig/other'), ref('refused/other')]);
    assert.equal(toRegistry.code, 1, explain(toRegistry));
    assert.match(toRegistry.stderr, /rejected by signature policy .*requirement 1 of docker scope "[^"]+\/sig", signedBy .*: no simple signing \(GPG\) signature found/);
    const repositories = join(registry.dataDir, 'docker', 'registry', 'v2', 'repositories');
    assert.ok(!(await readdir(repositories)).includes('refused'), 'no repository was created at the destination');

    const layout = join(work, 'refused-layout');
    const toLayout = await runFerry(['copy', '--policy', policy, '--registries.d', registriesD, '--src-tls-verify=false', ref('sig/other'), `oci:${layout}:other`]);
    assert.equal(toLayout.code, 1, explain(toLayout));
    const blobs = await readdir(join(layout, 'blobs', 'sha256')).catch(() => []);
    assert.deepEqual(blobs, [], 'no blob was written to the layout');
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8').catch(() => '{"manifests":[]}')) as { manifests: unknown[] };
    assert.equal(index.manifests.length, 0, 'no image was recorded in the layout');
  });

  test('a flipped byte, a signature moved to another image and a signature for another key are refused with the reason', async () => {
    await skopeoSign(ref('sig/app'), ref('flipped/app'), alice);
    const digest = await skopeoInspectDigest(ref('flipped/app'), { tlsVerify: false });
    const file = lookasideFile('flipped/app', digest);
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(file, bytes);

    // sig/other's digest gets the (valid) signature of signed/app: it names the wrong digest.
    await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', ref('sig/other'), ref('moved/app')], { registriesD });
    const otherDigest = await skopeoInspectDigest(ref('moved/app'), { tlsVerify: false });
    const signedDigest = await skopeoInspectDigest(ref('signed/app'), { tlsVerify: false });
    await mkdir(join(lookasideFile('moved/app', otherDigest), '..'), { recursive: true });
    await copyFile(lookasideFile('signed/app', signedDigest), lookasideFile('moved/app', otherDigest));

    const policy = await writePolicy('tampered', {
      [`${registry.host}/flipped`]: [signedBy(alice)],
      [`${registry.host}/moved`]: [signedBy(alice, { type: 'matchRepository' })],
      [`${registry.host}/signed`]: [signedBy(bob)],
    });
    const cases: Array<[string, RegExp]> = [
      [ref('flipped/app'), /invalid signature/],
      [ref('moved/app'), /digest mismatch: the signature is for sha256:[0-9a-f]{64}, the manifest is sha256:/],
      [ref('signed/app'), /wrong key: signed by key [0-9A-F]+, which is not among the trusted keys/],
    ];
    for (const [image, reason] of cases) {
      const { code, results } = await verify(policy, image);
      assert.equal(code, 1, image);
      assert.match(results[0]!.manifests[0]!.reason ?? '', reason, image);
      const copy = await runFerry(['copy', '--policy', policy, '--registries.d', registriesD, ...tls, image, ref(`never/${image.split('/').at(-2)}`)]);
      assert.equal(copy.code, 1, explain(copy));
      assert.match(copy.stderr, reason);
    }
    assert.equal(await stat(join(registry.dataDir, 'docker', 'registry', 'v2', 'repositories', 'never')).catch(() => undefined), undefined);
  });

  test('an index and each instance: ferry signs them all, carries every instance signature, and skopeo copy --all --policy verifies the mirror', async () => {
    const signed = await runFerry(['copy', '--all', '--insecure-policy', '--registries.d', registriesD, ...tls, '--sign-by', alice.fingerprint, ref('sig/multi'), ref('msigned/multi')], { env: gpg.env });
    assert.equal(signed.code, 0, explain(signed));
    const policy = await writePolicy('multi', {
      [`${registry.host}/msigned`]: [signedBy(alice)],
      [`${registry.host}/mmirror`]: [signedBy(alice, { type: 'remapIdentity', prefix: `${registry.host}/mmirror`, signedPrefix: registry.host })],
    });
    const carried = await runFerry(['copy', '--all', '--policy', policy, '--registries.d', registriesD, ...tls, ref('msigned/multi'), ref('mmirror/msigned/multi')]);
    assert.equal(carried.code, 0, explain(carried));
    assert.equal(carried.stderr.match(/carried 1 simple signing/g)?.length, 4, `the index and its three instances:\n${carried.stderr}`);
    await skopeo(['copy', '--all', '--src-tls-verify=false', ref('mmirror/msigned/multi'), `dir:${join(work, 'multi-dir')}`], { policy, registriesD, env: gpg.env });

    // One platform: the instance is what is checked and what its signature travels with.
    const one = await runFerry(['copy', '--platform', 'linux/arm64', '--policy', policy, '--registries.d', registriesD, ...tls, ref('msigned/multi'), ref('mmirror/one/multi')]);
    assert.equal(one.code, 0, explain(one));
    assert.equal(one.stderr.match(/carried 1 simple signing/g)?.length, 1, one.stderr);
    // Two of three platforms make a new index the source's index signature does not name.
    const part = await runFerry(['copy', '--platform', 'linux/arm64', '--platform', 'linux/amd64', '--policy', policy, '--registries.d', registriesD, ...tls, ref('msigned/multi'), ref('mmirror/part/multi')]);
    assert.equal(part.code, 1, explain(part));
    assert.match(part.stderr, /is signed, and copying part of it writes a new index/);
    const partBare = await runFerry(['copy', '--remove-signatures', '--platform', 'linux/arm64', '--platform', 'linux/amd64', '--policy', policy, '--registries.d', registriesD, ...tls, ref('msigned/multi'), ref('mmirror/part/multi')]);
    assert.equal(partBare.code, 0, explain(partBare));
  });

  test('a lookaside served over HTTP is read as skopeo reads it', async (t) => {
    // A plain static file server over the staging directory: what a lookaside web server is.
    const server = await serveDirectory(lookaside, t);
    const web = join(work, 'registries.d-web');
    await mkdir(web);
    await writeFile(join(web, 'web.yaml'), `default-docker:\n  lookaside: ${server.url}\n  lookaside-staging: file://${lookaside}\n`);
    const policy = await writePolicy('web', { [`${registry.host}/signed`]: [signedBy(alice)] });
    const run = await runFerry(['--policy', policy, 'verify-signatures', '--registries.d', web, '--tls-verify=false', ref('signed/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout, /verified: simple-signing, .*\(http:\/\/127\.0\.0\.1:\d+\/signed\/app@sha256=[0-9a-f]{64}\/signature-1\)/);
    await skopeo(['copy', '--src-tls-verify=false', ref('signed/app'), `dir:${join(work, 'web-dir')}`], { policy, registriesD: web, env: gpg.env });
  });
});
