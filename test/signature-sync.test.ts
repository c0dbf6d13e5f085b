import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { signAtSource } from './fixtures/signed-source.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { gpgHome, type GpgHome, type GpgKey } from './helpers/gpg.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { startProxy } from './helpers/proxy.ts';
import { startSignatureApiRegistry } from './fixtures/signature-api-registry.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * `ferry sync` under a signature policy, registry to registry, with skopeo
 * and GnuPG as the peers: each image is judged before any of its blobs is
 * written, its GPG signatures (made by skopeo or by ferry) reach the
 * destination's lookaside, its cosign `.sig` travels as a tag, ferry signs it
 * once written, and `skopeo copy --policy` verifies the result at the
 * destination. An unsigned image is refused with the requirement that failed
 * while the rest of the run completes (`--keep-going`), and leaves nothing
 * at the destination. `sync --dest oci` keeps the same signatures in a store.
 * A run stopped while an image's signatures are written leaves no tag, so
 * the next run copies the image again and carries them. A registry with
 * OpenShift's signature API (a stand-in in front of a real registry) gets
 * the image by digest first, then its signatures through the API.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'gpg', 'gpgv', 'gpgconf');

const images = syntheticStore([
  { name: 'seed/app', tag: 'v1', layers: [40 * 1024] },
  { name: 'seed/tool', tag: 'v1', layers: [32 * 1024] },
  { name: 'seed/plain', tag: 'v1', layers: [24 * 1024] },
]);

describe('sync carries, enforces and makes signatures', { skip }, () => {
  let source: RunningRegistry;
  let destination: RunningRegistry;
  let work: string;
  let gpg: GpgHome;
  let alice: GpgKey;
  let bob: GpgKey;
  let registriesD: string;
  const src = (repo: string, tag = 'v1'): string => `docker://${source.host}/${repo}:${tag}`;
  const dst = (repo: string, tag = 'v1'): string => `docker://${destination.host}/${repo}:${tag}`;
  const signedBy = (key: GpgKey, identity?: unknown) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath: key.publicKeyFile, ...(identity ? { signedIdentity: identity } : {}) });

  async function writePolicy(name: string, docker: Record<string, unknown[]>): Promise<string> {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }], transports: { docker } }));
    return path;
  }

  before(async () => {
    [source, destination, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-sig-sync')]);
    gpg = await gpgHome();
    alice = await gpg.generateKey('alice');
    bob = await gpg.generateKey('bob', 'sync pass');
    // Each registry has its own lookaside (the path inside a lookaside is the repository path alone).
    registriesD = join(work, 'registries.d');
    await mkdir(registriesD);
    await writeFile(
      join(registriesD, 'sites.yaml'),
      `docker:\n  ${source.host}:\n    lookaside: file://${join(work, 'source-sigs')}\n  ${destination.host}:\n    lookaside: file://${join(work, 'dest-sigs')}\n    lookaside-staging: file://${join(work, 'dest-sigs')}\n`,
    );
    for (const name of ['seed/app', 'seed/tool', 'seed/plain']) await seedRegistry(source.host, images.repository(name), ['v1']);
    // sig/app: GPG and cosign signatures made by ferry; sig/tool: a GPG signature made by skopeo; sig/plain: none.
    await signAtSource({ gpg, key: alice, registriesD, work, bothKinds: [src('seed/app'), src('sig/app')], gpgOnly: [src('seed/tool'), src('sig/tool')] });
    await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', src('seed/plain'), src('sig/plain')]);
  });

  after(async () => {
    await Promise.all([source?.stop(), destination?.stop()]);
    await gpg?.dispose();
  });

  test('registry to registry: signed images carried and signed, verified by skopeo there; an unsigned one refused while the others complete', async () => {
    const policy = await writePolicy('source', { [`${source.host}/sig`]: [signedBy(alice)] });
    const config = join(work, 'sync.yaml');
    await writeFile(config, `registries:\n  "${source.host}": {tls-verify: false}\n  "${destination.host}": {tls-verify: false}\nsync:\n  - from: {registry: "${source.host}", repositories: ["sig/*"]}\n    to: "${destination.host}/mirror"\n`);
    const report = join(work, 'report.json');
    const run = await runFerry(
      ['sync', '--config', config, '--policy', policy, '--registries.d', registriesD, '--keep-going', '--jobs', '1', '--report', report,
        '--sign-by', bob.fingerprint, '--sign-passphrase-file', bob.passphraseFile!],
      { env: gpg.env },
    );
    assert.equal(run.code, 1, explain(run));
    const r = JSON.parse(await readFile(report, 'utf8')) as { images: Array<{ source: string; status: string; reason?: string; signatures?: { simple: number; sigstore: number; attachments: number; signed: number } }> };
    const bySource = new Map(r.images.map((i) => [i.source.replace(/^docker:\/\/[^/]+\//, ''), i]));
    assert.equal(bySource.get('sig/app:v1')?.status, 'copied', explain(run));
    assert.equal(bySource.get('sig/tool:v1')?.status, 'copied', explain(run));
    assert.deepEqual(bySource.get('sig/app:v1')?.signatures, { simple: 1, sigstore: 1, attachments: 1, signed: 1 });
    assert.deepEqual(bySource.get('sig/tool:v1')?.signatures, { simple: 1, sigstore: 0, attachments: 0, signed: 1 });
    const plain = bySource.get('sig/plain:v1');
    assert.equal(plain?.status, 'failed');
    assert.match(plain?.reason ?? '', /rejected by signature policy .*source\.json: requirement 1 of docker scope "[^"]+\/sig", signedBy .*: no simple signing \(GPG\) signature found/);
    assert.match(run.stderr, /Synced 4 images: 2 copied, 1 skipped, 1 failed;.* signatures: 3 carried, 1 attachment, 2 manifests signed/);
    const catalog = (await runSkopeo(['list-tags', '--tls-verify=false', dst('mirror/sig/plain').slice(0, -3)])).code;
    assert.notEqual(catalog, 0, 'the refused image left no repository at the destination');
    assert.deepEqual(await readdir(join(work, 'dest-sigs', 'mirror', 'sig')).then((d) => d.map((n) => n.split('@')[0]).sort()), ['app', 'tool']);

    // The cosign signature crossed byte for byte as its tag.
    const appDigest = await skopeoInspectDigest(src('sig/app'), { tlsVerify: false });
    const sigTag = `sha256-${appDigest.slice(7)}.sig`;
    assert.equal(await skopeoInspectDigest(dst('mirror/sig/app', sigTag), { tlsVerify: false }), await skopeoInspectDigest(src('sig/app', sigTag), { tlsVerify: false }));

    // skopeo at the destination: alice's signatures through remapIdentity, and bob's made by the sync, both required.
    const mirror = `${destination.host}/mirror/sig`;
    const there = await writePolicy('destination', { [mirror]: [signedBy(alice, { type: 'remapIdentity', prefix: mirror, signedPrefix: `${source.host}/sig` }), { ...signedBy(bob), keyPath: bob.armoredKeyFile }] });
    for (const name of ['app', 'tool']) {
      await skopeo(['copy', '--src-tls-verify=false', dst(`mirror/sig/${name}`), `dir:${join(work, `verified-${name}`)}`], { policy: there, registriesD, env: gpg.env });
    }
    // A policy that trusts only another key refuses them: skopeo really checked.
    const carol = await gpg.generateKey('carol');
    const wrong = await writePolicy('wrong-key', { [mirror]: [signedBy(carol)] });
    const refused = await runSkopeo(['copy', '--src-tls-verify=false', dst('mirror/sig/app'), `dir:${join(work, 'refused')}`], { policy: wrong, registriesD, env: gpg.env });
    assert.notEqual(refused.code, 0, 'skopeo refuses a key the policy does not trust');
  });

  test('sync --dest oci keeps GPG signatures beside the blobs and the .sig as a name; --remove-signatures drops both', async () => {
    const policy = await writePolicy('to-store', { [`${source.host}/sig`]: [signedBy(alice)] });
    const appDigest = await skopeoInspectDigest(src('sig/app'), { tlsVerify: false });
    const store = join(work, 'store');
    const run = await runFerry(['sync', '--src', 'docker', '--dest', 'oci', '--src-tls-verify=false', '--policy', policy, '--registries.d', registriesD, `${source.host}/sig/app`, store]);
    assert.equal(run.code, 0, explain(run));
    assert.equal((await readdir(join(store, 'signatures', 'sha256', appDigest.slice(7)))).length, 1, 'the GPG signature is in the store');
    const names = (JSON.parse(await readFile(join(store, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> }).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.ok(names.includes(`app:sha256-${appDigest.slice(7)}.sig`), JSON.stringify(names));
    // ferry judges the store copy as the image it came from and accepts it.
    const verified = await runFerry(['verify-signatures', '--policy', policy, `oci:${store}:app:v1`]);
    assert.equal(verified.code, 0, explain(verified));
    assert.match(verified.stdout, /verified: simple-signing/);

    const bare = join(work, 'bare-store');
    const removed = await runFerry(['sync', '--src', 'docker', '--dest', 'oci', '--src-tls-verify=false', '--insecure-policy', '--remove-signatures', '--registries.d', registriesD, `${source.host}/sig/app`, bare]);
    assert.equal(removed.code, 0, explain(removed));
    await assert.rejects(readdir(join(bare, 'signatures')), 'no GPG signatures');
    const bareNames = (JSON.parse(await readFile(join(bare, 'index.json'), 'utf8')) as { manifests: unknown[] }).manifests;
    assert.equal(bareNames.length, 1, 'only the image, no .sig');
  });

  test('a run that fails while writing an image\'s signatures leaves no tag; the next run copies the image and carries them', async (t) => {
    const target = await startRegistry({ t });
    const proxy = await startProxy({ upstream: target.url });
    t.after(() => proxy.stop());
    const sigs = join(work, 'retry-sigs');
    const dirD = join(work, 'registries-retry.d');
    await mkdir(dirD);
    await writeFile(join(dirD, 'sites.yaml'), `docker:\n  ${source.host}:\n    lookaside: file://${join(work, 'source-sigs')}\n  ${proxy.host}:\n    lookaside: file://${sigs}\n    lookaside-staging: file://${sigs}\n`);
    const config = join(work, 'retry.yaml');
    await writeFile(config, `registries:\n  "${source.host}": {tls-verify: false}\n  "${proxy.host}": {tls-verify: false}\nsync:\n  - from: {registry: "${source.host}", repositories: ["sig/app"]}\n    to: "${proxy.host}/again"\n`);
    const appDigest = await skopeoInspectDigest(src('sig/app'), { tlsVerify: false });
    const sigTag = `sha256-${appDigest.slice(7)}.sig`;
    const sync = (report: string) => runFerry(['sync', '--config', config, '--insecure-policy', '--registries.d', dirD, '--report', report], { env: gpg.env });
    type Report = { images: Array<{ source: string; status: string; reason?: string; signatures?: { simple: number; sigstore: number; attachments: number; signed: number } }> };
    const appEntry = async (report: string) => (JSON.parse(await readFile(report, 'utf8')) as Report).images.find((i) => i.source.endsWith('/sig/app:v1'));

    // The destination refuses the cosign signature's tag: the image fails after its blobs and GPG signature are there.
    const refusal = proxy.addFault({ type: 'status', status: 403, times: Infinity, match: { method: 'PUT', kind: 'manifest', path: '.sig' } });
    const first = await sync(join(work, 'retry-1.json'));
    assert.equal(first.code, 1, explain(first));
    const failed = await appEntry(join(work, 'retry-1.json'));
    assert.equal(failed?.status, 'failed', explain(first));
    assert.ok(refusal.hits >= 1, 'the run failed at the refused .sig');
    assert.match(failed?.reason ?? '', /403|denied/i);
    const tagged = await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${target.host}/again/sig/app:v1`]);
    assert.notEqual(tagged.code, 0, 'the tag that publishes the image was not written');

    proxy.reset();
    const second = await sync(join(work, 'retry-2.json'));
    assert.equal(second.code, 0, explain(second));
    const entry = await appEntry(join(work, 'retry-2.json'));
    assert.equal(entry?.status, 'copied', 'copied again, not skipped');
    assert.deepEqual(entry?.signatures, { simple: 1, sigstore: 1, attachments: 1, signed: 0 });
    assert.equal(await skopeoInspectDigest(`docker://${target.host}/again/sig/app:v1`, { tlsVerify: false }), appDigest);
    assert.equal(await skopeoInspectDigest(`docker://${target.host}/again/sig/app:${sigTag}`, { tlsVerify: false }), await skopeoInspectDigest(src('sig/app', sigTag), { tlsVerify: false }));
    assert.deepEqual((await readdir(join(sigs, 'again', 'sig'))).filter((n) => n.startsWith('app@')), [`app@${appDigest.replace(':', '=')}`]);
    assert.deepEqual(await readdir(join(sigs, 'again', 'sig', `app@${appDigest.replace(':', '=')}`)), ['signature-1'], 'the retry stored the signature once');
    // On the wire: its cosign signature, then the tag, last (a registry without a signature API gets no manifest by digest first).
    const puts = proxy.stats.log
      .filter((e) => e.method === 'PUT' && e.kind === 'manifest' && e.path.startsWith('/v2/again/sig/app/'))
      .sort((a, b) => a.seq - b.seq)
      .map((e) => e.path.slice('/v2/again/sig/app/manifests/'.length));
    assert.deepEqual(puts, [sigTag, 'v1']);
  });

  test('a registry with the signature API gets the image by digest, then its GPG signature through the API, then the tag; skopeo verifies it there', async (t) => {
    const target = await startRegistry({ t });
    const standIn = await startSignatureApiRegistry(target.url);
    t.after(() => standIn.stop());
    const dirD = join(work, 'registries-api.d');
    await mkdir(dirD);
    await writeFile(join(dirD, 'sites.yaml'), `docker:\n  ${source.host}:\n    lookaside: file://${join(work, 'source-sigs')}\n`);
    const run = await runFerry(['copy', '--insecure-policy', '--registries.d', dirD, '--src-tls-verify=false', '--dest-tls-verify=false', src('sig/tool'), `docker://${standIn.host}/api/tool:v1`], { env: gpg.env });
    assert.equal(run.code, 0, explain(run));
    const digest = await skopeoInspectDigest(src('sig/tool'), { tlsVerify: false });
    assert.deepEqual(standIn.refused, [], 'no signature was sent before its manifest was there');
    // On the wire: the manifest by digest, its signature through the API, the tag last.
    assert.deepEqual(standIn.writes.filter((w) => w.startsWith('PUT manifest ') || w.startsWith('PUT signature ')), [`PUT manifest ${digest}`, `PUT signature ${digest}`, 'PUT manifest v1']);
    assert.equal(standIn.signatures.get(`api/tool@${digest}`)?.length, 1, 'the GPG signature went through the API');
    // skopeo reads signatures through the API where a registry offers it, and checks alice's here.
    const mirror = `${standIn.host}/api`;
    const policy = await writePolicy('api', { [mirror]: [signedBy(alice, { type: 'remapIdentity', prefix: mirror, signedPrefix: `${source.host}/sig` })] });
    await skopeo(['copy', '--src-tls-verify=false', `docker://${mirror}/tool:v1`, `dir:${join(work, 'api-verified')}`], { policy, registriesD: dirD, env: gpg.env });
    const carol = await gpg.generateKey('carol-api');
    const wrong = await writePolicy('api-wrong', { [mirror]: [signedBy(carol)] });
    const refused = await runSkopeo(['copy', '--src-tls-verify=false', `docker://${mirror}/tool:v1`, `dir:${join(work, 'api-refused')}`], { policy: wrong, registriesD: dirD, env: gpg.env });
    assert.notEqual(refused.code, 0, 'skopeo refuses a key the policy does not trust: it really read the signature');
  });
});
