import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../src/errors.ts';
import { createBundle } from '../src/mirror/bundle/bundle-create.ts';
import { BUNDLE_FILE, parseBundleManifest } from '../src/mirror/bundle/bundle-format.ts';
import { importBundle } from '../src/mirror/bundle/bundle-import.ts';
import { verifyBundle } from '../src/mirror/bundle/bundle-verify.ts';
import { digestOf } from '../src/oci/digest.ts';
import { writeLayoutSignatures } from '../src/signature/storage/layout-signatures.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { tempDir } from './helpers/tmp.ts';
import { seedStore, sharedSpecs } from './fixtures/mirror.ts';

/**
 * GPG signatures in bundles, on real stores and tar parts: listed in
 * bundle.json and carried as part entries, written back beside the blobs on
 * import, carried once across incremental bundles, and a listing no part
 * backs is a problem for `bundle verify` and an error for `bundle import`.
 * The bytes stand in for OpenPGP messages: bundles move them without reading
 * them (their verification is the policy's, tested in signature-airgap).
 */

test('a bundle lists and carries the store\'s GPG signatures; import writes them back; --since carries them once', async (t) => {
  const root = await tempDir('bundle-signatures', t);
  const store = await seedStore(join(root, 'store'), sharedSpecs());
  const [app] = (await store.listEntries()).filter((e) => e.annotations?.['org.opencontainers.image.ref.name'] === 'team/app:1');
  const signature = Buffer.from('\x89stand-in for an OpenPGP signed message');
  await writeLayoutSignatures(store.dir, app!.digest, [signature]);
  // A signature of a manifest no image of the store has any more is not bundled.
  await writeLayoutSignatures(store.dir, digestOf('gone'), [Buffer.from('\x89orphan')]);

  const first = await createBundle(store, join(root, 'b1'));
  assert.deepEqual(first.manifest.signatures, [{ manifest: app!.digest, digest: digestOf(signature), size: signature.byteLength }]);
  assert.ok(first.manifest.blobs.some((b) => b.digest === digestOf(signature)), 'its bytes are a part entry');
  assert.deepEqual((await verifyBundle(join(root, 'b1'))).problems, []);

  const inside = await openLayoutStore(join(root, 'inside'), { create: true });
  const imported = await importBundle(join(root, 'b1'), inside);
  assert.equal(imported.signatures, 1);
  const dir = join(inside.dir, 'signatures', 'sha256', app!.digest.slice(7));
  assert.deepEqual(await readdir(dir), [`${digestOf(signature).slice(7)}.signature`]);
  assert.deepEqual(await readFile(join(dir, (await readdir(dir))[0]!)), signature);
  assert.ok(!(await inside.hasBlob(digestOf(signature))), 'not among the blobs');

  // Next time: listed again (the list is the store's), carried no more.
  const second = await createBundle(store, join(root, 'b2'), { since: first.manifest });
  assert.equal(second.manifest.signatures?.length, 1);
  assert.ok(!second.manifest.blobs.some((b) => b.digest === digestOf(signature)));
  assert.deepEqual((await verifyBundle(join(root, 'b2'))).problems, []);
  assert.equal((await importBundle(join(root, 'b2'), inside)).signatures, 0);
  const fresh = await openLayoutStore(join(root, 'fresh'), { create: true });
  await assert.rejects(importBundle(join(root, 'b2'), fresh), (e: unknown) => isFerryError(e, 'CONFLICT'));
});

test('a signature bundle.json lists but no part carries: verify names it, import refuses before naming any image', async (t) => {
  const root = await tempDir('bundle-signatures-missing', t);
  const store = await seedStore(join(root, 'store'), sharedSpecs());
  const [entry] = await store.listEntries();
  const bundle = await createBundle(store, join(root, 'b'));
  const listed = { ...bundle.manifest, signatures: [{ manifest: entry!.digest, digest: digestOf('never carried'), size: 13 }] };
  await writeFile(join(root, 'b', BUNDLE_FILE), JSON.stringify(listed));
  const verified = await verifyBundle(join(root, 'b'));
  assert.equal(verified.problems.length, 1);
  assert.match(verified.problems[0]!.detail, /signature sha256:[0-9a-f]+ of sha256:[0-9a-f]+ is in no part, and no earlier bundle carried it/);

  const inside = await openLayoutStore(join(root, 'inside'), { create: true });
  await assert.rejects(importBundle(join(root, 'b'), inside), /lists signature sha256:[0-9a-f]+ .*which neither it nor oci:.* holds/);
  assert.deepEqual(await inside.listEntries(), [], 'no image was named');
});

test('bundle.json: signatures are optional (older bundles), must name sha256 digests and appear once', async () => {
  const base = { format: 'ferry-bundle', version: 1, id: 'a1b2c3d4-0000', created: '2025-01-01T00:00:00.000Z', images: [], blobs: [], parts: [], carried: [] };
  assert.equal(parseBundleManifest(JSON.stringify(base), 'old.json').signatures, undefined);
  const sig = { manifest: digestOf('m'), digest: digestOf('s'), size: 1 };
  assert.equal(parseBundleManifest(JSON.stringify({ ...base, signatures: [sig] }), 'new.json').signatures?.length, 1);
  assert.throws(() => parseBundleManifest(JSON.stringify({ ...base, signatures: [sig, sig] }), 'twice.json'), /twice\.json: signature sha256:.* is listed twice/);
  assert.throws(() => parseBundleManifest(JSON.stringify({ ...base, signatures: [{ ...sig, digest: 'sha512:abc' }] }), 'alg.json'), /alg\.json: signatures\.0\.digest: not a sha256 digest/);
});
