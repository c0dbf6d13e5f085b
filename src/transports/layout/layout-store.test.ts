import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdir, readFile, utimes, writeFile, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { isFerryError } from '../../errors.ts';
import { MediaType } from '../../oci/media-types.ts';
import { openLayoutStore } from './layout-store.ts';
import { withTaggedEntry } from './layout-entries.ts';
import { collectGarbage, referencedBlobs } from './layout-gc.ts';
import { layoutRepository } from './layout-repository.ts';
import { trackChild } from '../../../test/helpers/cleanup.ts';
import { tempDir } from '../../../test/helpers/tmp.ts';
import { makeImage, sha256 } from '../../../test/fixtures/layout-image.ts';

const NODE = process.execPath;
const CHILD = new URL('../../../test/fixtures/layout-child-writer.ts', import.meta.url).pathname;

async function tempEntries(dir: string): Promise<string[]> {
  return readdir(join(dir, '.ferry-tmp')).catch(() => []);
}

test('creates a layout in a missing directory on the first write, not before, and reopens it', async (t) => {
  const root = await tempDir('layout', t);
  const dir = join(root, 'a', 'store');
  await assert.rejects(openLayoutStore(dir, { create: false }), (e) => isFerryError(e, 'NOT_FOUND'));
  const store = await openLayoutStore(dir, { create: true });
  assert.deepEqual(await store.listEntries(), []);
  assert.equal(await store.blobSize(sha256('x')), undefined);
  await assert.rejects(store.openBlob(sha256('x')), (e) => isFerryError(e, 'NOT_FOUND'));
  assert.deepEqual(await store.updateIndex(() => undefined), []);
  assert.deepEqual(await readdir(root), [], 'reads and a change that changes nothing create nothing');
  await store.writeBlobBytes(Buffer.from('x'), sha256('x'));
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'oci-layout'), 'utf8')), { imageLayoutVersion: '1.0.0' });
  assert.deepEqual(JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')).manifests, []);
  assert.deepEqual(await store.listEntries(), []);
  const again = await openLayoutStore(dir, { create: false });
  assert.equal(again.realDir, store.realDir);

  const other = join(root, 'not-a-layout');
  await mkdir(other);
  await writeFile(join(other, 'file'), 'x');
  await assert.rejects(openLayoutStore(other, { create: true }), (e) => isFerryError(e, 'INVALID_CONFIG'));
});

test('blob writes are verified before they become visible', async (t) => {
  const store = await openLayoutStore(await tempDir('layout', t), { create: true });
  const data = Buffer.from('hello blob');
  const digest = sha256(data);
  assert.equal(await store.writeBlob(Readable.from([data]), { digest, size: data.length }), 'written');
  assert.equal(await store.writeBlob(Readable.from([data]), { digest, size: data.length }), 'exists');
  assert.equal(await store.blobSize(digest), data.length);
  assert.deepEqual(Buffer.from(await store.readBlob(digest)), data);

  const wrong = sha256('something else');
  await assert.rejects(store.writeBlob(Readable.from([data]), { digest: wrong }), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  await assert.rejects(store.writeBlob(Readable.from([data]), { digest: wrong, size: 3 }), (e) => isFerryError(e, 'SIZE_MISMATCH'));
  await assert.rejects(store.writeBlob(Readable.from([data]), { digest: wrong, size: 100 }), (e) => isFerryError(e, 'SIZE_MISMATCH'));
  assert.equal(await store.hasBlob(wrong), false);
  assert.deepEqual(await tempEntries(store.realDir), []);
  assert.deepEqual(await store.listBlobs(), [digest]);

  const ranged = await store.openBlob(digest, { start: 6, end: 9 });
  let text = '';
  for await (const chunk of ranged) text += String(chunk);
  assert.equal(text, 'blob');
  await assert.rejects(store.openBlob(wrong), (e) => isFerryError(e, 'NOT_FOUND'));
});

test('an aborted write leaves nothing behind', async (t) => {
  const store = await openLayoutStore(await tempDir('layout', t), { create: true });
  const source = new PassThrough();
  source.write(Buffer.alloc(100));
  const controller = new AbortController();
  const pending = store.writeBlob(source, { digest: sha256('x') }, { signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (e) => isFerryError(e, 'ABORTED'));
  assert.deepEqual(await tempEntries(store.realDir), []);
});

test('concurrent writers of the same blob all succeed', async (t) => {
  const store = await openLayoutStore(await tempDir('layout', t), { create: true });
  const data = Buffer.alloc(200_000, 7);
  const digest = sha256(data);
  const results = await Promise.all(Array.from({ length: 10 }, () => store.writeBlob(Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), { digest, size: data.length })));
  assert.ok(results.includes('written'));
  assert.equal(await store.blobSize(digest), data.length);
  assert.deepEqual(await tempEntries(store.realDir), []);
});

test('concurrent index writers in two processes and in-process lose no entries', async (t) => {
  // The directory is empty: the first of the three writers to get there creates the layout.
  const dir = await tempDir('layout', t);
  const children = ['p1', 'p2'].map((prefix) => {
    const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', CHILD, 'entries', dir, prefix, '50'], { stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(child);
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b));
    return once(child, 'exit').then(([code]) => assert.equal(code, 0, stderr));
  });
  // A second store object on the same directory shares the in-process lock through the real path.
  const stores = await Promise.all([openLayoutStore(dir, { create: true }), openLayoutStore(dir, { create: true })]);
  const local = Array.from({ length: 50 }, (_, i) => {
    const name = `local/app:t${i}`;
    return stores[i % 2]!.updateIndex((entries) => withTaggedEntry(entries, { mediaType: MediaType.ociManifest, digest: sha256(name), size: 1 }, name));
  });
  await Promise.all([...children, ...local]);
  const names = (await stores[0]!.listEntries()).map((e) => e.annotations?.['org.opencontainers.image.ref.name']);
  assert.equal(names.length, 150);
  assert.equal(new Set(names).size, 150);
  for (const prefix of ['p1', 'p2', 'local']) for (let i = 0; i < 50; i++) assert.ok(names.includes(`${prefix}/app:t${i}`));
  assert.deepEqual((await readdir(dir)).sort(), ['.ferry-tmp', 'blobs', 'index.json', 'oci-layout']);
});

test('a lock left by a dead process is broken', async (t) => {
  const dir = await tempDir('layout', t);
  const store = await openLayoutStore(dir, { create: true });
  const dead = spawn(NODE, ['-e', '']);
  await once(dead, 'exit');
  await writeFile(join(dir, 'index.json.lock'), `${dead.pid} ${hostname()} token`);
  await store.updateIndex((entries) => withTaggedEntry(entries, { mediaType: MediaType.ociManifest, digest: sha256('a'), size: 1 }, 'a:1'));
  assert.equal((await store.listEntries()).length, 1);
  assert.deepEqual((await readdir(dir)).filter((n) => n.includes('lock')), []);
});

test('a killed writer leaves a temp file that the next open removes', async (t) => {
  const dir = await tempDir('layout', t);
  await openLayoutStore(dir, { create: true });
  const child = spawn(NODE, ['--disable-warning=ExperimentalWarning', CHILD, 'hang', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  trackChild(child);
  await once(child.stdout, 'data');
  assert.equal((await tempEntries(dir)).length, 1);
  child.kill('SIGKILL');
  await once(child, 'exit');
  assert.equal((await tempEntries(dir)).length, 1);
  await openLayoutStore(dir, { create: false });
  assert.deepEqual(await tempEntries(dir), []);
});

test('garbage collection keeps what index.json reaches', async (t) => {
  const store = await openLayoutStore(await tempDir('layout', t), { create: true });
  const repo = layoutRepository(store, 'ns/app');
  const image = await makeImage({ seed: 'gc' });
  for (const b of image.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
  await repo.manifestPut('1.0', image.manifest);
  const orphan = Buffer.from('orphan');
  await store.writeBlobBytes(orphan, sha256(orphan));
  const { referenced, missing } = await referencedBlobs(store);
  assert.equal(referenced.size, image.blobs.length + 1);
  assert.equal(missing.size, 0);
  assert.deepEqual(await collectGarbage(store), [], 'young blobs are kept');
  const old = new Date(Date.now() - 2 * 3600_000);
  await utimes(store.blobPath(sha256(orphan)), old, old);
  assert.deepEqual(await collectGarbage(store), [sha256(orphan)]);
  assert.equal((await store.listBlobs()).length, image.blobs.length + 1);
});

test('garbage collection refuses to guess past a manifest it cannot read', async (t) => {
  const store = await openLayoutStore(await tempDir('layout', t), { create: true });
  const repo = layoutRepository(store, 'ns/app');
  const image = await makeImage({ seed: 'gc-unreadable' });
  for (const b of image.blobs) await repo.blobPut(b.descriptor, Readable.from([b.bytes]));
  // An index entry whose bytes are not a manifest: what it may reference cannot be known, so nothing may look unreferenced.
  const junk = Buffer.from('{"not": "a manifest"}');
  await store.writeBlobBytes(junk, sha256(junk));
  await store.updateIndex((entries) => withTaggedEntry(entries, { mediaType: MediaType.ociManifest, digest: sha256(junk), size: junk.byteLength }, 'ns/app:broken'));
  const old = new Date(Date.now() - 2 * 3600_000);
  for (const digest of await store.listBlobs()) await utimes(store.blobPath(digest), old, old);
  await assert.rejects(collectGarbage(store), (e) => isFerryError(e, 'INVALID_MANIFEST') && e.message.includes(sha256(junk)));
  assert.equal((await store.listBlobs()).length, image.blobs.length + 1, 'nothing was deleted');
});
