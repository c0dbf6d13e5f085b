import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isFerryError } from '../src/errors.ts';
import { openImage } from '../src/transports/open-image.ts';
import { requirePeer } from './helpers/peers.ts';
import { skopeoCopy } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { configIdentity, ferryCopy, rawManifest, sha256, sourceLayout } from './fixtures/transport.ts';

/**
 * docker save archives in the shapes skopeo's own writer does not produce:
 * several images, layers reached through the legacy `<id>/layer.tar`
 * symlinks, gzip-compressed layers, and a layer that does not match its
 * diff_id. Each starts from an archive skopeo wrote.
 */

const skip = requirePeer('skopeo');

interface TarFile {
  header: tar.Header;
  data: Buffer;
}

async function readTarFiles(path: string): Promise<TarFile[]> {
  const out: TarFile[] = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract as AsyncIterable<Readable & { header: tar.Header }>) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({ header: entry.header, data: Buffer.concat(chunks) });
    }
  })();
  Readable.from([await readFile(path)]).pipe(extract);
  await done;
  return out;
}

async function writeTarFiles(path: string, files: TarFile[]): Promise<void> {
  const pack = tar.pack();
  for (const f of files) pack.entry({ ...f.header, size: f.data.length }, f.data);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  await writeFile(path, Buffer.concat(chunks));
}

const file = (name: string, data: Buffer): TarFile => ({ header: { name, size: data.length, mode: 0o644, mtime: new Date(0), type: 'file' } as tar.Header, data });

test('docker-archive: several images, legacy symlinked layers and gzip layers are read; a layer off its diff_id fails', { skip }, async (t) => {
  const src = await sourceLayout(t);
  const work = await tempDir('ferry-da-shapes', t);
  const identity = await configIdentity(src.single);
  const plain = join(work, 'skopeo.tar');
  await skopeoCopy(src.single, `docker-archive:${plain}:app:1`);

  const files = (await readTarFiles(plain)).filter((f) => f.header.name !== 'manifest.json' && f.header.name !== 'repositories');
  const [original] = JSON.parse((await readTarFiles(plain)).find((f) => f.header.name === 'manifest.json')!.data.toString()) as Array<{ Config: string; Layers: string[] }>;
  // skopeo writes `<v1 id>/layer.tar` symlinks to each `<hex>.tar`; the first image reaches its layers through them.
  const legacy = original!.Layers.map((layer) => files.find((f) => f.header.type === 'symlink' && f.header.linkname === `../${layer}`)!.header.name);
  assert.equal(legacy.length, 2);
  const gzipped = original!.Layers.map((layer, i) => file(`compressed/${i}.tar.gz`, gzipSync(files.find((f) => f.header.name === layer)!.data)));
  const manifest = [
    { Config: original!.Config, RepoTags: ['app:1'], Layers: legacy },
    { Config: original!.Config, RepoTags: ['example.com/other:2', 'example.com/other:latest'], Layers: gzipped.map((g) => g.header.name) },
  ];
  const multi = join(work, 'multi.tar');
  await writeTarFiles(multi, [...files, ...gzipped, file('manifest.json', Buffer.from(JSON.stringify(manifest)))]);

  await assert.rejects(openImage(`docker-archive:${multi}`, { role: 'source' }), (e) => isFerryError(e, 'USAGE') && /2 images/.test(e.message));
  await assert.rejects(openImage(`docker-archive:${multi}:@2`, { role: 'source' }), (e) => isFerryError(e, 'NOT_FOUND'));
  for (const ref of [`docker-archive:${multi}:@0`, `docker-archive:${multi}:app:1`, `docker-archive:${multi}:@1`, `docker-archive:${multi}:example.com/other:2`, `docker-archive:${multi}:example.com/other`]) {
    const out = `dir:${work}/out-${sha256(ref).slice(7, 19)}`;
    await ferryCopy(ref, out);
    assert.deepEqual(await configIdentity(out), identity, ref);
    const layers = (await rawManifest(out)).layers;
    assert.deepEqual(layers.map((l) => l.digest), identity.diffIds, ref);
    // Compressed layers are served decompressed: sizes are those of the tars.
    assert.deepEqual(layers.map((l) => l.size), original!.Layers.map((l) => files.find((f) => f.header.name === l)!.data.length), ref);
  }

  const source = await openImage(`docker-archive:${multi}:example.com/other:2`, { role: 'source' });
  try {
    assert.deepEqual(await source.repository.tagList(), ['2', 'latest']);
    const head = await source.repository.manifestHead('anything');
    assert.ok(head);
    assert.ok(await source.repository.manifestHead(head.digest));
    assert.equal(await source.repository.manifestHead(`sha256:${'0'.repeat(64)}`), undefined);
  } finally {
    await source.repository.close();
  }

  // A stored layer that does not hash to its diff_id: the copy fails, nothing is written.
  const broken = files.map((f) => (f.header.name === original!.Layers[1] ? { ...f, data: Buffer.from(f.data).fill(7, 600, 700) } : f));
  const bad = join(work, 'bad.tar');
  await writeTarFiles(bad, [...broken, file('manifest.json', Buffer.from(JSON.stringify([{ ...original, RepoTags: [] }])))]);
  await assert.rejects(ferryCopy(`docker-archive:${bad}`, `dir:${work}/bad-out`), (e) => isFerryError(e, 'DIGEST_MISMATCH'));
  const badGz = join(work, 'bad-gz.tar');
  const gzBroken = file('compressed/1.tar.gz', gzipSync(broken.find((f) => f.header.name === original!.Layers[1])!.data));
  await writeTarFiles(badGz, [...files, gzipped[0]!, gzBroken, file('manifest.json', Buffer.from(JSON.stringify([manifest[1]])))]);
  await assert.rejects(ferryCopy(`docker-archive:${badGz}`, `dir:${work}/bad-gz-out`), (e) => isFerryError(e, 'CORRUPT') && /diff/.test(e.message));
});

test('docker-archive: a file that is not a docker save tar is refused with a clear error', async (t) => {
  const work = await tempDir('ferry-da-bad', t);
  await writeFile(join(work, 'junk.tar'), Buffer.alloc(1024, 'x'));
  await assert.rejects(openImage(`docker-archive:${work}/junk.tar`, { role: 'source' }), (e) => isFerryError(e, 'CORRUPT') || isFerryError(e, 'NOT_FOUND'));
  await assert.rejects(openImage(`docker-archive:${work}/missing.tar`, { role: 'source' }), (e) => isFerryError(e, 'NOT_FOUND'));
  await writeTarFiles(join(work, 'nomanifest.tar'), [file('manifest.json', Buffer.from('{"not":"a list"}'))]);
  await assert.rejects(openImage(`docker-archive:${work}/nomanifest.tar`, { role: 'source' }), (e) => isFerryError(e, 'INVALID_MANIFEST') && e.message.includes('nomanifest.tar'));
  await assert.rejects(openImage(`docker-archive:${work}/x.tar:@0`, { role: 'destination' }), (e) => isFerryError(e, 'INVALID_REFERENCE'));
});
