import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { copy } from '../src/api/copy.ts';
import { isFerryError } from '../src/errors.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeo, skopeoCopy } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { tempName } from '../src/util/temp-name.ts';
import {
  configIdentity, copyWithBrokenSource, corruptDirImage, ferryCopy, leftoverTemps, rawDigest, rawManifest, sha256, sourceLayout,
} from './fixtures/transport.ts';

/**
 * dir:, docker-archive: and oci-archive: against skopeo 1.9 both ways. Where
 * a transport keeps digests (dir, oci-archive) the manifests must be the same
 * bytes; docker-archive rewrites the manifest, so its config digest and
 * diff_ids are compared instead.
 */

const skip = requirePeer('skopeo');
const exists = (path: string): Promise<boolean> => readFile(path).then(() => true, (e: NodeJS.ErrnoException) => e.code === 'EISDIR');
const sorted = async (dir: string): Promise<string[]> => (await readdir(dir)).sort();

test('dir: ferry writes the layout skopeo writes, and skopeo reads it back with the same digests', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-dir', t);
  const single = await rawDigest(src.single);

  const ours = join(work, 'ours');
  const result = await ferryCopy(src.single, `dir:${ours}`);
  assert.equal(result.digest, single);
  const theirs = join(work, 'theirs');
  await skopeoCopy(src.single, `dir:${theirs}`);
  assert.deepEqual(await sorted(ours), await sorted(theirs));
  assert.deepEqual(await readFile(join(ours, 'manifest.json')), await readFile(join(theirs, 'manifest.json')));
  assert.equal(await readFile(join(ours, 'version'), 'utf8'), 'Directory Transport Version: 1.1\n');
  assert.equal(await rawDigest(`dir:${ours}`), single);
  // skopeo verifies every blob while it copies.
  await skopeoCopy(`dir:${ours}`, `oci:${work}/check:single`, ['--preserve-digests']);
  assert.equal(await rawDigest(`oci:${work}/check:single`), single);

  // A list with --all: instance manifests as <hex>.manifest.json, as skopeo 1.9 does.
  const multi = await rawDigest(src.multi);
  const ourList = join(work, 'our-list');
  await ferryCopy(src.multi, `dir:${ourList}`, { all: true });
  const theirList = join(work, 'their-list');
  await skopeoCopy(src.multi, `dir:${theirList}`, ['--all']);
  assert.deepEqual(await sorted(ourList), await sorted(theirList));
  assert.equal((await sorted(ourList)).filter((n) => n.endsWith('.manifest.json')).length, 2);
  await skopeoCopy(`dir:${ourList}`, `oci:${work}/check:multi`, ['--all', '--preserve-digests']);
  assert.equal(await rawDigest(`oci:${work}/check:multi`), multi);
});

test('dir: ferry reads what skopeo writes, lists included', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-dir-read', t);
  await skopeoCopy(src.single, `dir:${work}/single`);
  await skopeoCopy(src.multi, `dir:${work}/multi`, ['--all']);
  const out = `oci:${work}/out`;
  assert.equal((await ferryCopy(`dir:${work}/single`, `${out}:single`)).digest, await rawDigest(src.single));
  assert.equal((await ferryCopy(`dir:${work}/multi`, `${out}:multi`, { all: true })).digest, await rawDigest(src.multi));
  assert.equal(await rawDigest(`${out}:single`), await rawDigest(src.single));
  assert.equal(await rawDigest(`${out}:multi`), await rawDigest(src.multi));
});

test('dir: a previous image is replaced, any other non-empty directory is refused', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-dir-replace', t);
  const image = join(work, 'image');
  await skopeoCopy(src.multi, `dir:${image}`, ['--all']);
  await ferryCopy(src.single, `dir:${image}`);
  const fresh = join(work, 'fresh');
  await skopeoCopy(src.single, `dir:${fresh}`);
  assert.deepEqual(await sorted(image), await sorted(fresh), 'nothing of the replaced list is left');

  const other = join(work, 'other');
  await ferryCopy(src.single, `dir:${other}`);
  await writeFile(join(other, 'version'), 'not ours');
  await assert.rejects(ferryCopy(src.single, `dir:${work}/other`), (e) => isFerryError(e, 'INVALID_CONFIG'));
  assert.equal(await readFile(join(other, 'version'), 'utf8'), 'not ours');
  await writeFile(join(work, 'notes.txt'), 'keep me');
  await assert.rejects(ferryCopy(src.single, `dir:${work}`), (e) => isFerryError(e, 'INVALID_CONFIG') && /not an image directory/.test(e.message));
  assert.equal(await readFile(join(work, 'notes.txt'), 'utf8'), 'keep me');
});

test('docker-archive: skopeo reads what ferry writes (config and diff_ids kept), gzip layers are decompressed', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-da', t);
  const identity = await configIdentity(src.single);

  const archive = join(work, 'app.tar');
  await ferryCopy(src.single, `docker-archive:${archive}:app:1`);
  assert.deepEqual(await configIdentity(`docker-archive:${archive}`), identity);
  assert.deepEqual((await rawManifest(`docker-archive:${archive}:app:1`)).layers.map((l) => l.digest), identity.diffIds);
  const inspected = JSON.parse((await skopeo(['inspect', `docker-archive:${archive}:docker.io/library/app:1`])).stdout.toString('utf8')) as { Layers: string[] };
  assert.deepEqual(inspected.Layers, identity.diffIds);
  await skopeoCopy(`docker-archive:${archive}`, `oci:${work}/check:a`);

  // Registry-style gzip layers are stored decompressed, named by diff_id, as skopeo does.
  const gz = await configIdentity(src.gzip);
  assert.ok((await rawManifest(src.gzip)).layers.every((l) => l.mediaType.endsWith('gzip')));
  const gzArchive = join(work, 'gz.tar');
  await ferryCopy(src.gzip, `docker-archive:${gzArchive}:app:gz`);
  assert.deepEqual(await configIdentity(`docker-archive:${gzArchive}`), gz);
  assert.deepEqual((await rawManifest(`docker-archive:${gzArchive}`)).layers.map((l) => l.digest), gz.diffIds);
  const listing = await tarNames(gzArchive);
  for (const id of gz.diffIds) assert.ok(listing.includes(`${id.slice(7)}.tar`), `${id} stored as <hex>.tar`);
  await skopeoCopy(`docker-archive:${gzArchive}`, `oci:${work}/check:gz`);

  // Like skopeo, an existing archive is not modified.
  await assert.rejects(ferryCopy(src.single, `docker-archive:${archive}:app:2`), (e) => isFerryError(e, 'UNSUPPORTED') && /cannot be modified/.test(e.message));
  await assert.rejects(ferryCopy(src.multi, `docker-archive:${work}/multi.tar`, { all: true }), (e) => isFerryError(e, 'UNSUPPORTED'));
  assert.equal(await exists(join(work, 'multi.tar')), false);
});

async function tarNames(path: string): Promise<string[]> {
  const { indexTar } = await import('../src/tar/index.ts');
  return [...(await indexTar(path, { where: path })).keys()];
}

test('docker-archive: ferry reads what skopeo writes, plain or gzip-compressed, by name or @N', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-da-read', t);
  const identity = await configIdentity(src.single);
  const archive = join(work, 'app.tar');
  await skopeoCopy(src.single, `docker-archive:${archive}:app:1`);

  for (const [i, ref] of [`docker-archive:${archive}`, `docker-archive:${archive}:app:1`, `docker-archive:${archive}:docker.io/library/app:1`, `docker-archive:${archive}:@0`].entries()) {
    // dir: because skopeo's oci: reader skips Docker media types.
    const out = `dir:${work}/r${i}`;
    await ferryCopy(ref, out);
    assert.deepEqual(await configIdentity(out), identity, ref);
    const layers = (await rawManifest(out)).layers;
    assert.deepEqual(layers.map((l) => l.digest), identity.diffIds, ref);
    assert.ok(layers.every((l) => l.mediaType === 'application/vnd.docker.image.rootfs.diff.tar'));
  }
  await assert.rejects(ferryCopy(`docker-archive:${archive}:app:2`, `dir:${work}/x`), (e) => isFerryError(e, 'NOT_FOUND') && /app:1/.test(e.hint ?? ''));
  await assert.rejects(ferryCopy(`docker-archive:${archive}:@1`, `dir:${work}/x`), (e) => isFerryError(e, 'NOT_FOUND'));

  const gz = join(work, 'app.tar.gz');
  await writeFile(gz, gzipSync(await readFile(archive)));
  await ferryCopy(`docker-archive:${gz}:app:1`, `dir:${work}/gz`);
  assert.deepEqual(await configIdentity(`dir:${work}/gz`), identity);
  // ferry's rewrite of skopeo's archive reads back the same through skopeo.
  await ferryCopy(`docker-archive:${archive}`, `docker-archive:${work}/again.tar:app:1`);
  assert.deepEqual(await configIdentity(`docker-archive:${work}/again.tar`), identity);
});

test('oci-archive: digests survive ferry → skopeo and skopeo → ferry, named or not', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-oa', t);
  const multi = await rawDigest(src.multi);
  const single = await rawDigest(src.single);

  await ferryCopy(src.multi, `oci-archive:${work}/ours.tar:m`, { all: true });
  assert.equal(await rawDigest(`oci-archive:${work}/ours.tar:m`), multi);
  await skopeoCopy(`oci-archive:${work}/ours.tar:m`, `oci:${work}/check:m`, ['--all', '--preserve-digests']);
  assert.equal(await rawDigest(`oci:${work}/check:m`), multi);
  await ferryCopy(src.single, `oci-archive:${work}/unnamed.tar`);
  assert.equal(await rawDigest(`oci-archive:${work}/unnamed.tar`), single);
  // A second copy replaces the archive, as skopeo does.
  await ferryCopy(src.multi, `oci-archive:${work}/unnamed.tar`, { all: true });
  assert.equal(await rawDigest(`oci-archive:${work}/unnamed.tar`), multi);

  await skopeoCopy(src.multi, `oci-archive:${work}/theirs.tar:m`, ['--all', '--preserve-digests']);
  assert.equal((await ferryCopy(`oci-archive:${work}/theirs.tar:m`, `oci:${work}/out:m`, { all: true })).digest, multi);
  assert.equal(await rawDigest(`oci:${work}/out:m`), multi);
  await skopeoCopy(src.single, `oci-archive:${work}/theirs1.tar`, ['--preserve-digests']);
  assert.equal((await ferryCopy(`oci-archive:${work}/theirs1.tar`, `oci:${work}/out:s`)).digest, single);
  await assert.rejects(ferryCopy(`oci-archive:${work}/theirs.tar:nope`, `oci:${work}/out:x`), (e) => isFerryError(e, 'NOT_FOUND'));
});

test('an interrupted write leaves nothing at PATH (and a previous dir image or oci-archive intact)', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-interrupt', t);
  for (const dst of [`docker-archive:${work}/a.tar:app:1`, `oci-archive:${work}/o.tar:x`, `dir:${work}/d`]) {
    const path = dst.split(':')[1]!;
    const error = await copyWithBrokenSource(src.single, dst);
    assert.ok(isFerryError(error, 'NETWORK'), `${dst}: ${String(error)}`);
    assert.equal(await exists(path), false, `${dst}: nothing at ${path}`);
    assert.deepEqual(await leftoverTemps(path), [], `${dst}: no temp files`);
  }

  // A retried blob starts over: the half-written tar entry (or temp file) is taken back first.
  for (const dst of [`docker-archive:${work}/retried.tar:app:1`, `oci-archive:${work}/retried-oci.tar`, `dir:${work}/retried-dir`]) {
    assert.equal(await copyWithBrokenSource(src.single, dst, { failOnce: true }), undefined, dst);
    assert.deepEqual(await configIdentity(dst), await configIdentity(src.single), dst);
  }
  assert.deepEqual((await rawManifest(`docker-archive:${work}/retried.tar`)).layers.map((l) => l.digest), (await configIdentity(src.single)).diffIds);
  await skopeoCopy(`oci-archive:${work}/retried-oci.tar`, `oci:${work}/check:retried`, ['--preserve-digests']);
  assert.equal(await rawDigest(`oci:${work}/check:retried`), await rawDigest(src.single));

  // Aborting through the signal mid-transfer: same result.
  const controller = new AbortController();
  await assert.rejects(
    copy(src.single, `docker-archive:${work}/aborted.tar`, { signal: controller.signal, onEvent: (e) => e.type === 'blob-done' && controller.abort() }),
    (e) => isFerryError(e, 'ABORTED'),
  );
  assert.equal(await exists(join(work, 'aborted.tar')), false);
  assert.deepEqual(await leftoverTemps(join(work, 'aborted.tar')), []);

  // A killed ferry leaves only its temp file beside PATH; the next write to PATH removes it (a live writer's stays),
  // in this version's names (host, boot, pid, start time) and in the `PATH.tmp-<pid>-<uuid>` of earlier ones.
  const deadPid = spawnSync('true').pid;
  const live = tempName('k.tar');
  const stale = live.replace(`_${process.pid}_`, `_${deadPid}_`);
  const legacyStale = `k.tar.tmp-${deadPid}-0b5b0c1e-1d2f-4a3b-9c8d-7e6f5a4b3c2d`;
  const legacyLive = `k.tar.tmp-${process.pid}-0b5b0c1e-1d2f-4a3b-9c8d-7e6f5a4b3c2d`;
  for (const name of [live, stale, legacyStale, legacyLive]) await writeFile(join(work, name), 'partial');
  await ferryCopy(src.single, `docker-archive:${work}/k.tar`);
  assert.deepEqual(await leftoverTemps(join(work, 'k.tar')), [live, legacyLive].sort());

  const archive = join(work, 'prev.tar');
  await ferryCopy(src.multi, `oci-archive:${archive}:m`, { all: true });
  const before = await readFile(archive);
  assert.ok(isFerryError(await copyWithBrokenSource(src.single, `oci-archive:${archive}:m`), 'NETWORK'));
  assert.deepEqual(await readFile(archive), before);

  const dir = join(work, 'prev-dir');
  await skopeoCopy(src.multi, `dir:${dir}`, ['--all']);
  const listing = await sorted(dir);
  assert.ok(isFerryError(await copyWithBrokenSource(src.single, `dir:${dir}`), 'NETWORK'));
  assert.deepEqual(await sorted(dir), listing);
  await skopeoCopy(`dir:${dir}`, `oci:${work}/check:prev`, ['--all', '--preserve-digests']);
  assert.equal(await rawDigest(`oci:${work}/check:prev`), await rawDigest(src.multi));
});

test('a corrupted blob in a dir: source fails the copy with DIGEST_MISMATCH and writes no manifest', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-corrupt', t);
  const dir = join(work, 'image');
  const layer = await corruptDirImage(src.single, dir);
  assert.notEqual(sha256(await readFile(join(dir, layer.digest.slice('sha256:'.length)))), layer.digest);

  const layout = join(work, 'layout');
  await assert.rejects(ferryCopy(`dir:${dir}`, `oci:${layout}:x`), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: unknown[] };
  assert.deepEqual(index.manifests, []);
  assert.equal(await exists(join(layout, 'blobs', 'sha256', layer.digest.slice(7))), false);

  await assert.rejects(ferryCopy(`dir:${dir}`, `dir:${work}/copy`), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  assert.equal(await exists(join(work, 'copy', 'manifest.json')), false);
  await assert.rejects(ferryCopy(`dir:${dir}`, `docker-archive:${work}/copy.tar`), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  assert.equal(await exists(join(work, 'copy.tar')), false);
  assert.deepEqual(await leftoverTemps(join(work, 'copy.tar')), []);
});
