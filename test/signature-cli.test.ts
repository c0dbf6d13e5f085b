import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { call } from './fixtures/server-client.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { gpgHome, type GpgHome, type GpgKey } from './helpers/gpg.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The trust flags as a user types them: `--policy`, `--insecure-policy` and
 * `--registries.d` before the command (skopeo's global position) and after
 * it; `--debug` saying which policy applied; signatures kept in an OCI
 * layout store (GPG under `signatures/`, cosign as `.sig` names), listed per
 * image by `verify-signatures oci:STORE`, and carried from the store back to
 * a registry where skopeo verifies them.
 */

const skip = requirePeer('docker-registry', 'skopeo', 'gpg', 'gpgv', 'gpgconf');

const images = syntheticStore([
  { name: 'cli/app', tag: 'v1', layers: [24 * 1024] },
  { name: 'cli/other', tag: 'v1', layers: [16 * 1024] },
]);

describe('signature flags and layout stores', { skip }, () => {
  let registry: RunningRegistry;
  let work: string;
  let gpg: GpgHome;
  let key: GpgKey;
  let registriesD: string;
  let rejectAll: string;
  const ref = (repo: string, tag = 'v1'): string => `docker://${registry.host}/${repo}:${tag}`;
  const tls = ['--src-tls-verify=false', '--dest-tls-verify=false'];

  before(async () => {
    [registry, work] = await Promise.all([startRegistry(), tempDir('ferry-sig-cli')]);
    gpg = await gpgHome();
    key = await gpg.generateKey('store');
    registriesD = join(work, 'registries.d');
    await mkdir(registriesD);
    await writeFile(join(registriesD, 'lookaside.yaml'), `default-docker:\n  lookaside: file://${join(work, 'lookaside')}\n`);
    rejectAll = join(work, 'reject.json');
    await writeFile(rejectAll, JSON.stringify({ default: [{ type: 'reject' }] }));
    await seedRegistry(registry.host, images.repository('cli/app'), ['v1']);
    await seedRegistry(registry.host, images.repository('cli/other'), ['v1']);
  });

  after(async () => {
    await registry?.stop();
    await gpg?.dispose();
  });

  test('--policy and --registries.d work before and after the command; --insecure-policy overrides; --debug names the policy', async () => {
    for (const args of [
      ['--policy', rejectAll, '--registries.d', registriesD, 'copy', ...tls, ref('cli/app'), ref('pos/before')],
      ['copy', ...tls, '--policy', rejectAll, ref('cli/app'), ref('pos/after'), '--registries.d', registriesD],
    ]) {
      const run = await runFerry(args);
      assert.equal(run.code, 1, explain(run));
      assert.match(run.stderr, /rejected by signature policy .*reject\.json: requirement 1 of default, reject: every image in default is rejected/);
    }
    const insecure = await runFerry(['copy', ...tls, ref('cli/app'), ref('pos/insecure'), '--insecure-policy']);
    assert.equal(insecure.code, 0, explain(insecure));
    const debug = await runFerry(['--debug', '--policy', rejectAll, 'verify-signatures', '--tls-verify=false', ref('cli/app')]);
    assert.equal(debug.code, 1, explain(debug));
    assert.match(debug.stderr, /debug: signature policy: .*reject\.json/);
    assert.match(debug.stdout, /REJECTED/);
    const missing = await runFerry(['copy', '--policy', join(work, 'nope.json'), ...tls, ref('cli/app'), ref('pos/missing')]);
    assert.equal(missing.code, 1, explain(missing));
    assert.match(missing.stderr, /policy file .*nope\.json does not exist/);
  });

  test('signatures in a layout store: written on copy, listed per image by verify-signatures, carried back to a registry', async () => {
    const store = join(work, 'store');
    const cosignPrefix = join(work, 'cosign');
    const pass = join(work, 'pass');
    await writeFile(pass, 'pw\n');
    assert.equal((await runFerry(['generate-sigstore-key', '--output-prefix', cosignPrefix, '--passphrase-file', pass])).code, 0);
    const identity = `${registry.host}/cli/app:v1`;
    const signed = await runFerry(
      ['copy', '--insecure-policy', '--src-tls-verify=false', '--sign-by', key.fingerprint, '--sign-by-sigstore-private-key', `${cosignPrefix}.key`, '--sign-passphrase-file', pass, '--sign-identity', identity, ref('cli/app'), `oci:${store}:cli/app:v1`],
      { env: gpg.env },
    );
    assert.equal(signed.code, 0, explain(signed));
    // Signing a layout image needs an identity: without --sign-identity it is refused before anything is copied.
    const noIdentity = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', '--sign-by', key.fingerprint, ref('cli/other'), `oci:${store}:cli/refused:v1`], { env: gpg.env });
    assert.equal(noIdentity.code, 2, explain(noIdentity));
    assert.match(noIdentity.stderr, /has no registry identity.*\n.*--sign-identity/);
    const unsigned = await runFerry(['copy', '--insecure-policy', '--src-tls-verify=false', ref('cli/other'), `oci:${store}:cli/other:v1`]);
    assert.equal(unsigned.code, 0, explain(unsigned));
    const digest = await skopeoInspectDigest(ref('cli/app'), { tlsVerify: false });
    assert.equal((await readdir(join(store, 'signatures', 'sha256', digest.slice(7)))).length, 1, 'one GPG signature file beside the blobs');

    const policy = join(work, 'store-policy.json');
    await writeFile(policy, JSON.stringify({
      default: [{ type: 'reject' }],
      transports: {
        oci: { [store]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: key.publicKeyFile, signedIdentity: { type: 'exactReference', dockerReference: identity } }] },
        docker: { [`${registry.host}/back`]: [{ type: 'sigstoreSigned', keyPath: `${cosignPrefix}.pub`, signedIdentity: { type: 'exactReference', dockerReference: identity } }] },
      },
    }));
    const listed = await runFerry(['verify-signatures', '--policy', policy, `oci:${store}`]);
    assert.equal(listed.code, 1, 'one image of the store is unsigned');
    assert.match(listed.stdout, new RegExp(`oci:${store}:cli/app:v1: ACCEPTED`));
    assert.match(listed.stdout, new RegExp(`verified: simple-signing, identity ${identity}, key ${key.fingerprint}`));
    assert.match(listed.stdout, /not verified: sigstore, identity .*not checked: no requirement of the policy applies/);
    assert.match(listed.stdout, new RegExp(`oci:${store}:cli/other:v1: REJECTED`));
    assert.doesNotMatch(listed.stdout, /sha256-[0-9a-f]+\.sig: /, 'attachments are not listed as images');

    // Back to a registry: the GPG signature goes to the lookaside, the .sig travels as a tag; both verify there.
    const back = await runFerry(['copy', '--policy', policy, '--registries.d', registriesD, '--dest-tls-verify=false', `oci:${store}:cli/app:v1`, ref('back/app')]);
    assert.equal(back.code, 0, explain(back));
    const sigTag = await call(registry.url, 'HEAD', `/v2/back/app/manifests/sha256-${digest.slice(7)}.sig`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    assert.equal(sigTag.status, 200, 'the .sig crossed as a tag');
    const skopeoPolicy = join(work, 'skopeo-policy.json');
    await writeFile(skopeoPolicy, JSON.stringify({ default: [{ type: 'reject' }], transports: { docker: { [`${registry.host}/back`]: [{ type: 'signedBy', keyType: 'GPGKeys', keyPath: key.publicKeyFile, signedIdentity: { type: 'exactReference', dockerReference: identity } }] } } }));
    await skopeo(['copy', '--src-tls-verify=false', ref('back/app'), `dir:${join(work, 'back-dir')}`], { policy: skopeoPolicy, registriesD, env: gpg.env });
    const ours = await runFerry(['verify-signatures', '--policy', policy, '--registries.d', registriesD, '--tls-verify=false', ref('back/app')]);
    assert.equal(ours.code, 0, explain(ours));
  });
});
