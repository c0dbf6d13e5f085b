import assert from 'node:assert/strict';
import { cp, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { digestOf } from '../src/oci/digest.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { readBundleManifest } from '../src/mirror/bundle/bundle-format.ts';
import { signAtSource } from './fixtures/signed-source.ts';
import { startServeProcess } from './helpers/ferry-serve.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { gpgHome, type GpgHome, type GpgKey } from './helpers/gpg.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Signatures across the air gap, with skopeo and GnuPG as the peers: mirror
 * to disk under a policy (GPG signatures land beside the store's blobs, the
 * cosign `.sig` as a name), bundle (bundle.json lists the signatures, the
 * parts carry them, `bundle verify` checks them), import inside with the
 * inside policy, push to the inside registry (GPG signatures to its
 * lookaside staging, the `.sig` as a tag), and `skopeo copy --policy`
 * verifies the image there; `ferry serve --lookaside` serves the store's
 * signatures so skopeo verifies an image pulled from it. A signature altered
 * in a store (renamed to its new hash, so no checksum notices) is refused by
 * the policy at import and at push, and the altered image goes nowhere.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'gpg', 'gpgv', 'gpgconf');

const images = syntheticStore([
  { name: 'seed/app', tag: '1', layers: [48 * 1024] },
  { name: 'seed/tool', tag: '1', layers: [32 * 1024] },
]);

describe('signatures survive the air gap', { skip }, () => {
  let source: RunningRegistry;
  let inside: RunningRegistry;
  let work: string;
  let gpg: GpgHome;
  let alice: GpgKey;
  let registriesD: string;
  let insideD: string;
  let sourcePolicy: string;
  let insidePolicy: string;
  let connected: string;
  const src = (repo: string, tag = '1'): string => `docker://${source.host}/${repo}:${tag}`;
  const signedBy = (identity?: unknown) => ({ type: 'signedBy', keyType: 'GPGKeys', keyPath: alice.publicKeyFile, ...(identity ? { signedIdentity: identity } : {}) });
  const policyFile = async (name: string, docker: Record<string, unknown[]>): Promise<string> => {
    const path = join(work, `${name}.json`);
    await writeFile(path, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker } }));
    return path;
  };
  /** The one GPG signature file of `digest` in a store. */
  const signatureFile = async (store: string, digest: string): Promise<string> => {
    const dir = join(store, 'signatures', 'sha256', digest.slice(7));
    const names = await readdir(dir);
    assert.equal(names.length, 1, `one signature of ${digest} in ${store}`);
    return join(dir, names[0]!);
  };
  /** Alters a stored signature and renames it to its new sha256: consistent on disk, no longer valid. */
  const tamper = async (file: string): Promise<void> => {
    const bytes = await readFile(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(file, bytes);
    await rename(file, join(file, '..', `${digestOf(bytes).slice(7)}.signature`));
  };

  before(async () => {
    [source, inside, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-sig-airgap')]);
    gpg = await gpgHome();
    alice = await gpg.generateKey('alice');
    registriesD = join(work, 'registries.d');
    await mkdir(registriesD);
    await writeFile(join(registriesD, 'source.yaml'), `docker:\n  ${source.host}:\n    lookaside: file://${join(work, 'source-sigs')}\n`);
    // Inside: pushes stage GPG signatures where the inside lookaside serves them from.
    insideD = join(work, 'inside.d');
    await mkdir(insideD);
    await writeFile(join(insideD, 'inside.yaml'), `docker:\n  ${inside.host}:\n    lookaside: file://${join(work, 'inside-sigs')}\n    lookaside-staging: file://${join(work, 'inside-sigs')}\n`);
    for (const name of ['seed/app', 'seed/tool']) await seedRegistry(source.host, images.repository(name), ['1']);
    // team/app: GPG and cosign signatures made by ferry; team/tool: a GPG signature made by skopeo.
    await signAtSource({ gpg, key: alice, registriesD, work, bothKinds: [src('seed/app'), src('team/app')], gpgOnly: [src('seed/tool'), src('team/tool')] });
    // Outside and inside, the same rule: images of the source's team/ signed by alice. Inside, store images are judged as their source.
    sourcePolicy = await policyFile('source', { [`${source.host}/team`]: [signedBy()] });
    insidePolicy = sourcePolicy;

    connected = join(work, 'connected');
    const config = join(work, 'mirror.yaml');
    await writeFile(config, `${source.host}:\n  tls-verify: false\n  images:\n    team/app: ["1"]\n    team/tool: ["1"]\n`);
    const mirrored = await runFerry(['mirror', '--config', config, '--to-dir', connected, '--policy', sourcePolicy, '--registries.d', registriesD]);
    assert.equal(mirrored.code, 0, explain(mirrored));
    assert.match(mirrored.stderr, /Mirrored 2 images .*; signatures: 3 carried, 1 attachment/);
  });

  after(async () => {
    await Promise.all([source?.stop(), inside?.stop()]);
    await gpg?.dispose();
  });

  test('mirror to disk, bundle, verify, import with the policy, push inside: skopeo verifies there and the .sig is present', async () => {
    const store = join(connected, 'store');
    const appDigest = await skopeoInspectDigest(src('team/app'), { tlsVerify: false });
    const toolDigest = await skopeoInspectDigest(src('team/tool'), { tlsVerify: false });
    const sigTag = `sha256-${appDigest.slice(7)}.sig`;
    // The store keeps both kinds: GPG files named by their own hash, the cosign signature under its tag name.
    for (const digest of [appDigest, toolDigest]) {
      const file = await signatureFile(store, digest);
      assert.equal(`sha256:${file.split('/').pop()!.replace('.signature', '')}`, digestOf(await readFile(file)));
    }
    const manifest = await readBundleManifest(join(connected, 'bundle'));
    assert.deepEqual(manifest.signatures?.map((s) => s.manifest).sort(), [appDigest, toolDigest].sort(), 'bundle.json lists each GPG signature');
    assert.ok(manifest.signatures!.every((s) => manifest.blobs.some((b) => b.digest === s.digest)), 'the parts carry them');
    assert.ok(manifest.images.some((i) => i.name === `team/app:${sigTag}`), 'the .sig travels as an image of the store');
    const verified = await runFerry(['bundle', 'verify', join(connected, 'bundle')]);
    assert.equal(verified.code, 0, explain(verified));
    assert.match(verified.stderr, /is intact: .* 2 GPG signature\(s\)/);

    // Across the gap: the bundle alone.
    const media = join(work, 'media');
    await cp(join(connected, 'bundle'), media, { recursive: true });
    const site = join(work, 'site');
    const imported = await runFerry(['bundle', 'import', '--policy', insidePolicy, media, join(site, 'store')]);
    assert.equal(imported.code, 0, explain(imported));
    assert.match(imported.stdout, /2 GPG signature\(s\) stored; 0 refused by the signature policy/);
    assert.equal(await readFile(await signatureFile(join(site, 'store'), appDigest), 'utf8'), await readFile(await signatureFile(store, appDigest), 'utf8'));

    const pushed = await runFerry(['mirror', '--from-dir', site, '--to', `docker://${inside.host}/mirror`, '--dest-tls-verify=false', '--policy', insidePolicy, '--registries.d', insideD]);
    assert.equal(pushed.code, 0, explain(pushed));
    assert.match(pushed.stderr, /Pushed 3 images .*: 2 copied, 1 already there, 0 failed;.* signatures: 3 carried, 1 attachment/);
    const stagedApp = join(work, 'inside-sigs', 'mirror', 'team', `app@${appDigest.replace(':', '=')}`, 'signature-1');
    assert.equal(await readFile(stagedApp, 'utf8'), await readFile(await signatureFile(store, appDigest), 'utf8'), 'the GPG signature is in the inside lookaside, byte for byte');

    // skopeo, configured with the inside lookaside, verifies the images at their mirror names.
    const mirror = `${inside.host}/mirror`;
    const skopeoPolicy = await policyFile('inside-skopeo', { [mirror]: [signedBy({ type: 'remapIdentity', prefix: mirror, signedPrefix: source.host })] });
    for (const name of ['app', 'tool']) {
      await skopeo(['copy', '--src-tls-verify=false', `docker://${mirror}/team/${name}:1`, `dir:${join(work, `inside-${name}`)}`], { policy: skopeoPolicy, registriesD: insideD, env: gpg.env });
    }
    const unconfigured = await runSkopeo(['copy', '--src-tls-verify=false', `docker://${mirror}/team/app:1`, `dir:${join(work, 'no-lookaside')}`], { policy: skopeoPolicy, registriesD: registriesD, env: gpg.env });
    assert.notEqual(unconfigured.code, 0, 'without the inside lookaside skopeo finds no signature: it really read them there');
    assert.equal(await skopeoInspectDigest(`docker://${mirror}/team/app:${sigTag}`, { tlsVerify: false }), await skopeoInspectDigest(src('team/app', sigTag), { tlsVerify: false }), 'the cosign .sig is inside, unchanged');
  });

  test('ferry serve --lookaside: skopeo verifies an image pulled from the served store with the store\'s own signatures', async (t) => {
    const served = await startServeProcess(t, ['--storage', join(connected, 'store'), '--read-only', '--lookaside']);
    const servedD = join(work, 'served.d');
    await mkdir(servedD, { recursive: true });
    await writeFile(join(servedD, 'served.yaml'), `docker:\n  ${served.host}:\n    lookaside: ${served.url}/sigstore\n`);
    const policy = await policyFile('served', { [served.host]: [signedBy({ type: 'remapIdentity', prefix: served.host, signedPrefix: source.host })] });
    for (const name of ['app', 'tool']) {
      await skopeo(['copy', '--src-tls-verify=false', `docker://${served.host}/team/${name}:1`, `dir:${join(work, `served-${name}`)}`], { policy, registriesD: servedD, env: gpg.env });
    }
    const appDigest = await skopeoInspectDigest(src('team/app'), { tlsVerify: false });
    const second = await fetch(`${served.url}/sigstore/team/app@${appDigest.replace(':', '=')}/signature-2`);
    assert.equal(second.status, 404, 'reading stops after the last signature');
    const elsewhere = await fetch(`${served.url}/sigstore/team/tool@${appDigest.replace(':', '=')}/signature-1`);
    assert.equal(elsewhere.status, 404, 'a repository serves signatures of its own manifests only');
  });

  test('a signature altered in the store is refused by the policy at import and at push; the other image goes on', async () => {
    const toolDigest = await skopeoInspectDigest(src('team/tool'), { tlsVerify: false });
    // Outside: a copy of the store with team/tool's signature altered, bundled afresh.
    const altered = join(work, 'altered');
    await cp(join(connected, 'store'), join(altered, 'store'), { recursive: true });
    await tamper(await signatureFile(join(altered, 'store'), toolDigest));
    const bundled = await runFerry(['bundle', 'create', join(altered, 'store'), join(altered, 'bundle')]);
    assert.equal(bundled.code, 0, explain(bundled));
    const site = join(work, 'site-altered');
    const imported = await runFerry(['bundle', 'import', '--policy', insidePolicy, join(altered, 'bundle'), join(site, 'store')]);
    assert.equal(imported.code, 1, explain(imported));
    assert.match(imported.stderr, /refused team\/tool:1: .*requirement 1 of docker scope "[^"]+\/team", signedBy .*: invalid signature/);
    assert.match(imported.stdout, /1 refused by the signature policy/);
    const names = (JSON.parse(await readFile(join(site, 'store', 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> }).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']);
    assert.ok(names.includes('team/app:1') && !names.includes('team/tool:1'), `only the intact image is named: ${JSON.stringify(names)}`);

    // Inside: the store the first test imported, altered after the import; the push refuses team/tool before any of it moves.
    const inner = join(work, 'site-push');
    await cp(join(connected, 'store'), join(inner, 'store'), { recursive: true });
    await tamper(await signatureFile(join(inner, 'store'), toolDigest));
    const pushed = await runFerry(['mirror', '--from-dir', inner, '--to', `docker://${inside.host}/altered`, '--dest-tls-verify=false', '--keep-going', '--policy', insidePolicy, '--registries.d', insideD]);
    assert.equal(pushed.code, 1, explain(pushed));
    assert.match(pushed.stderr, /team\/tool:1 → [^ ]+\/altered\/team\/tool:1: .*rejected by signature policy .*requirement 1 of docker scope "[^"]+\/team", signedBy .*: invalid signature/);
    assert.match(pushed.stderr, /Pushed 3 images .*: 1 copied, 1 already there, 1 failed/, 'the .sig came along with its image');
    assert.doesNotMatch(pushed.stderr, /final pass/, 'a refusal is not tried again');
    const toolThere = await runSkopeo(['inspect', '--tls-verify=false', `docker://${inside.host}/altered/team/tool:1`]);
    assert.notEqual(toolThere.code, 0, 'nothing of the refused image reached the registry');
    assert.equal(await skopeoInspectDigest(`docker://${inside.host}/altered/team/app:1`, { tlsVerify: false }), await skopeoInspectDigest(src('team/app'), { tlsVerify: false }));
  });
});
