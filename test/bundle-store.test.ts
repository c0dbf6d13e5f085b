import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { isFerryError } from '../src/errors.ts';
import { createBundle } from '../src/mirror/bundle/bundle-create.ts';
import { readBundleManifest } from '../src/mirror/bundle/bundle-format.ts';
import { readBundleHistory } from '../src/mirror/bundle/bundle-history.ts';
import { importBundle } from '../src/mirror/bundle/bundle-import.ts';
import { verifyBundle } from '../src/mirror/bundle/bundle-verify.ts';
import { walkStore } from '../src/transports/layout/layout-graph.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';
import { listFiles, seedStore, sharedSpecs } from './fixtures/mirror.ts';

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Offset in a part file of the first data byte of the entry for `digest`. */
async function dataOffset(partPath: string, digest: string): Promise<number> {
  const bytes = await readFile(partPath);
  const name = Buffer.from(`blobs/${digest.replace(':', '/')}`);
  for (let at = 0; at + 512 <= bytes.length; at += 512) {
    if (bytes.subarray(at, at + name.length).equals(name) && bytes[at + name.length] === 0) return at + 512;
  }
  throw new Error(`entry for ${digest} not found in ${partPath}`);
}

test('bundle create splits a store into parts no larger than --max-size, and bundle.json describes them', async (t) => {
  const root = await tempDir('bundle-create', t);
  const store = await seedStore(join(root, 'store'), sharedSpecs());
  const run = await runFerry(['bundle', 'create', join(root, 'store'), join(root, 'out'), '--max-size', '64KiB']);
  assert.equal(run.code, 0, explain(run));
  // The 96 KiB base layer cannot fit a 64 KiB part: it gets one of its own, with a warning.
  assert.match(run.stderr, /larger than the part size limit/);

  const manifest = await readBundleManifest(join(root, 'out'));
  const graph = await walkStore(store);
  assert.ok(manifest.parts.length >= 3, `several parts, got ${manifest.parts.length}`);
  assert.deepEqual(manifest.parts.map((p) => p.name), manifest.parts.map((_, i) => `mirror_${String(i + 1).padStart(6, '0')}.tar`));
  assert.deepEqual(new Set(manifest.blobs.map((b) => b.digest)), new Set(graph.nodes.keys()), 'every referenced blob, once');
  assert.equal(manifest.images.length, 3);
  assert.deepEqual(manifest.images.map((i) => i.name).sort(), ['team/app:1', 'team/app:2', 'team/tool:1']);
  assert.ok(manifest.images.every((i) => i.source?.startsWith('source.invalid:5000/team/')));
  assert.equal(manifest.extends, undefined);
  for (const part of manifest.parts) {
    const bytes = await readFile(join(root, 'out', part.name));
    assert.equal(bytes.length, part.size);
    assert.equal(sha256(bytes), part.sha256, part.name);
    const big = manifest.blobs.some((b) => b.part === part.name && b.size > 64 * 1024);
    if (!big) assert.ok(part.size <= 64 * 1024, `${part.name} is ${part.size} bytes`);
    else assert.equal(part.blobs, 1, 'an oversized blob is alone in its part');
  }
  // Only the parts and bundle.json: no temp files, no tar index.json.
  assert.deepEqual(await listFiles(join(root, 'out')), ['bundle.json', ...manifest.parts.map((p) => p.name)].sort());

  const verify = await runFerry(['bundle', 'verify', join(root, 'out')]);
  assert.equal(verify.code, 0, explain(verify));
  const again = await runFerry(['bundle', 'create', join(root, 'store'), join(root, 'out')]);
  assert.equal(again.code, 1, 'an existing bundle is not overwritten without --force');
  assert.match(again.stderr, /already holds a bundle/);
});

test('bundle verify names the part and blob of a flipped byte, and a missing part', async (t) => {
  const root = await tempDir('bundle-verify', t);
  await seedStore(join(root, 'store'), sharedSpecs());
  const out = join(root, 'out');
  assert.equal((await runFerry(['bundle', 'create', join(root, 'store'), out, '--max-size', '64KiB'])).code, 0);
  const manifest = await readBundleManifest(out);
  const victim = manifest.blobs.find((b) => b.size > 10_000)!;
  const partPath = join(out, victim.part);
  const at = (await dataOffset(partPath, victim.digest)) + 1000;
  const fh = await open(partPath, 'r+');
  const byte = Buffer.alloc(1);
  await fh.read(byte, 0, 1, at);
  await fh.write(Buffer.from([byte[0]! ^ 0xff]), 0, 1, at);
  await fh.close();

  const run = await runFerry(['bundle', 'verify', out]);
  assert.equal(run.code, 1, explain(run));
  assert.match(run.stdout, new RegExp(`blob-digest ${victim.part} ${victim.digest}`));
  assert.match(run.stdout, new RegExp(`part-checksum ${victim.part}`));
  const result = await verifyBundle(out);
  assert.deepEqual(result.problems.map((p) => p.kind).sort(), ['blob-digest', 'part-checksum']);

  // A damaged bundle is refused by import, and no image is named.
  const inside = await openLayoutStore(join(root, 'inside'), { create: true });
  await assert.rejects(importBundle(out, inside), (e) => isFerryError(e, 'CORRUPT') && e.message.includes(victim.part) && e.message.includes(victim.digest));
  assert.deepEqual(await inside.listEntries(), []);

  const other = manifest.parts.find((p) => p.name !== victim.part)!;
  await rm(join(out, other.name));
  const missing = await runFerry(['bundle', 'verify', out]);
  assert.equal(missing.code, 1);
  assert.match(missing.stdout, new RegExp(`missing-part ${other.name}: part ${other.name} is missing`));
});

test('import unpacks into a fresh store; an incremental bundle carries only new content and needs its predecessor', async (t) => {
  const root = await tempDir('bundle-import', t);
  const storeDir = join(root, 'store');
  const store = await seedStore(storeDir, sharedSpecs());
  const first = await createBundle(store, join(root, 'b1'), { maxSize: 128 * 1024 });
  const before = new Set((await walkStore(store)).nodes.keys());

  // New tags: one shares the base, one is new throughout.
  const added = [
    { name: 'team/app', tag: '3', layers: [20 * 1024], sharedLayers: [{ size: 96 * 1024, seed: 'base' }] },
    { name: 'other/svc', tag: 'v1', layers: [12 * 1024] },
  ];
  await seedStore(storeDir, added);
  const second = await runFerry(['bundle', 'create', storeDir, join(root, 'b2'), '--since', join(root, 'b1', 'bundle.json')]);
  assert.equal(second.code, 0, explain(second));
  const m2 = await readBundleManifest(join(root, 'b2'));
  const after = (await walkStore(store)).nodes;
  const fresh = [...after.keys()].filter((d) => !before.has(d));
  assert.equal(m2.extends, first.manifest.id);
  assert.deepEqual(new Set(m2.blobs.map((b) => b.digest)), new Set(fresh), 'only blobs the first bundle did not carry');
  assert.equal(m2.images.length, 5, 'the complete image list');
  assert.deepEqual(new Set(m2.carried), new Set(after.keys()));

  // The incremental bundle alone is refused, clearly, and leaves the store untouched.
  const inside = join(root, 'inside');
  const early = await runFerry(['bundle', 'import', join(root, 'b2'), inside]);
  assert.equal(early.code, 1, explain(early));
  assert.match(early.stderr, new RegExp(`extends bundle ${first.manifest.id}, which has not been imported`));
  assert.match(early.stderr, /import bundle .* first/);
  await assert.rejects(stat(inside), { code: 'ENOENT' }, 'the refused import created no store');

  const one = await runFerry(['bundle', 'import', join(root, 'b1'), inside]);
  assert.equal(one.code, 0, explain(one));
  const two = await runFerry(['bundle', 'import', join(root, 'b2'), inside]);
  assert.equal(two.code, 0, explain(two));
  const imported = await openLayoutStore(inside, { create: false });
  const names = (s: readonly { annotations?: Record<string, string> | undefined; digest: string }[]) =>
    s.map((e) => `${e.annotations?.['org.opencontainers.image.ref.name']} ${e.digest} ${e.annotations?.['io.ferry.source']}`).sort();
  assert.deepEqual(names(await imported.listEntries()), names(await store.listEntries()));
  assert.deepEqual(new Set(await imported.listBlobs()), new Set(await store.listBlobs()));
  assert.deepEqual((await readBundleHistory(imported)).map((b) => b.id), [first.manifest.id, m2.id]);
  const verify = await runFerry(['verify', inside]);
  assert.equal(verify.code, 0, explain(verify));
  // Importing again is harmless.
  const repeat = await runFerry(['bundle', 'import', join(root, 'b2'), inside]);
  assert.equal(repeat.code, 0, explain(repeat));
  assert.match(repeat.stdout, /\(again\)/);
  assert.deepEqual(await listFiles(join(inside, '.ferry-tmp')), []);
});

test('gc removes only unreferenced blobs and reports the bytes freed', async (t) => {
  const root = await tempDir('mirror-gc', t);
  const storeDir = join(root, 'store');
  const store = await seedStore(storeDir, sharedSpecs());
  const garbage = Buffer.from('not referenced by any image');
  const digest = `sha256:${sha256(garbage)}` as const;
  await store.writeBlobBytes(garbage, digest);
  const dry = await runFerry(['gc', storeDir, '--dry-run', '--grace', '0']);
  assert.equal(dry.code, 0, explain(dry));
  assert.match(dry.stdout, new RegExp(`would remove ${digest}`));
  assert.match(dry.stderr, new RegExp(`Would remove 1 unreferenced blob\\(s\\), ${garbage.length} B to free`));
  assert.ok(await store.hasBlob(digest));
  const young = await runFerry(['gc', storeDir]);
  assert.match(young.stderr, /Removed 0 unreferenced/, 'a fresh blob is within the grace period');
  const real = await runFerry(['gc', storeDir, '--grace', '0', '--json']);
  assert.equal(real.code, 0, explain(real));
  assert.deepEqual(JSON.parse(real.stdout), { store: store.dir, dryRun: false, deleted: [digest], count: 1, bytes: garbage.length });
  assert.equal(await store.hasBlob(digest), false);
  assert.equal((await runFerry(['verify', storeDir])).code, 0, 'every image intact');
});

test('verify reports corrupt and missing blobs with the images they break', async (t) => {
  const root = await tempDir('mirror-verify', t);
  const storeDir = join(root, 'store');
  const store = await seedStore(storeDir, sharedSpecs());
  const graph = await walkStore(store);
  const base = [...graph.nodes.values()].find((n) => n.role === 'layer' && n.images.size === 3)!;
  const own = [...graph.nodes.values()].find((n) => n.role === 'layer' && n.images.size === 1 && graph.images[[...n.images][0]!]!.name === 'team/tool:1')!;
  const path = store.blobPath(base.digest);
  const bytes = await readFile(path);
  bytes[100] = bytes[100]! ^ 1;
  await writeFile(path, bytes);
  await rm(store.blobPath(own.digest));

  const run = await runFerry(['verify', storeDir]);
  assert.equal(run.code, 1, explain(run));
  assert.match(run.stdout, new RegExp(`corrupt ${base.digest} \\(layer\\): .*; affects team/app:1, team/app:2, team/tool:1`));
  assert.match(run.stdout, new RegExp(`missing ${own.digest} \\(layer\\): .*; affects team/tool:1$`, 'm'));
  assert.match(run.stderr, /2 problem\(s\), 3 image\(s\) affected/);
  // The recorded source is unreachable: --repair says so and still fails.
  const repair = await runFerry(['verify', storeDir, '--repair', '--src-tls-verify=false', '--retry-times', '0']);
  assert.equal(repair.code, 1, explain(repair));
  assert.match(repair.stdout, /repair failed: source\.invalid:5000\/team\//);
  assert.equal((await stat(path)).size, bytes.length, 'nothing was replaced');
});
