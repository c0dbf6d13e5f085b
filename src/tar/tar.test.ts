import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { isFerryError } from '../errors.ts';
import {
  TarFileWriter, encodeHeader, extractTarSafely, indexTar, lookupTarFile, readFileRange, resolveInArchive, safeEntryPath,
} from './index.ts';
import { openImage } from '../transports/open-image.ts';
import { tempDir } from '../../test/helpers/tmp.ts';

/** The tar helper of the archive transports, and what oci-archive does with hostile tars. */

interface Entry {
  name: string;
  type?: tar.Header['type'];
  linkname?: string;
  data?: Buffer;
}

async function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
    pack.entry(header, e.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function readTar(path: string): Promise<Array<{ name: string; type: string; data: Buffer }>> {
  const out: Array<{ name: string; type: string; data: Buffer }> = [];
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract as AsyncIterable<Readable & { header: tar.Header }>) {
      const chunks: Buffer[] = [];
      for await (const c of entry) chunks.push(c as Buffer);
      out.push({ name: entry.header.name, type: entry.header.type, data: Buffer.concat(chunks) });
    }
  })();
  Readable.from([await readFile(path)]).pipe(extract);
  await done;
  return out;
}

test('safeEntryPath keeps names inside the directory and refuses the rest', () => {
  assert.equal(safeEntryPath('./blobs//sha256/abc', 'x'), 'blobs/sha256/abc');
  assert.equal(safeEntryPath('index.json', 'x'), 'index.json');
  for (const bad of ['../evil', 'blobs/../../evil', '/etc/passwd', 'a\\b', 'a\0b', './', '.']) {
    assert.throws(() => safeEntryPath(bad, 'oci-archive:t.tar'), (e) => isFerryError(e, 'CORRUPT') && e.message.includes('oci-archive:t.tar'), bad);
  }
});

test('resolveInArchive resolves link targets and refuses those that leave the archive', () => {
  assert.equal(resolveInArchive('../abc.tar', 'id'), 'abc.tar');
  assert.equal(resolveInArchive('./a/./b'), 'a/b');
  assert.equal(resolveInArchive('/abc.tar', 'id'), 'abc.tar');
  assert.equal(resolveInArchive('../../etc/passwd', 'id'), undefined);
  assert.equal(resolveInArchive('..'), undefined);
});

test('TarFileWriter writes names after data, long names through PAX, and takes back a failed entry', async (t) => {
  const dir = await tempDir('ferry-tar', t);
  const path = join(dir, 'out.tar');
  const w = await TarFileWriter.create(path);
  await w.addBytes('small.json', Buffer.from('{"a":1}'));
  const long = `blobs/sha512/${'ab'.repeat(64)}`;
  await w.addKnownFile(long, 5, [Buffer.from('12345')]);
  let late = '';
  const size = await w.addStream((async function* () {
    yield Buffer.alloc(700, 1);
    late = 'decided-after-data.tar';
  })(), () => late);
  assert.equal(size, 700);
  const before = w.position;
  await assert.rejects(w.addStream((async function* () {
    yield Buffer.alloc(5000, 2);
    throw new Error('source broke');
  })(), () => 'never'), /source broke/);
  assert.equal(w.position, before);
  assert.equal((await stat(path)).size, before, 'the file is cut back to the last whole entry');
  await w.addBytes('after.txt', Buffer.from('ok'));
  await w.finish();

  const entries = await readTar(path);
  assert.deepEqual(entries.map((e) => e.name), ['small.json', long, 'decided-after-data.tar', 'after.txt']);
  assert.equal(entries[1]!.data.toString(), '12345');
  assert.deepEqual(entries[2]!.data, Buffer.alloc(700, 1));
  await assert.rejects(TarFileWriter.create(path), (e) => isFerryError(e, 'IO'), 'never overwrites');
});

test('sizes over 8 GiB use the base-256 field that tar-stream reads', async () => {
  const size = 9 * 1024 ** 3 + 7;
  const extract = tar.extract();
  const header = new Promise<tar.Header>((resolve) => extract.on('entry', (h, stream) => {
    stream.resume();
    resolve(h);
  }));
  extract.write(encodeHeader({ name: 'big.tar', size, type: '0' }));
  assert.equal((await header).size, size);
  extract.destroy();
});

test('indexTar finds data offsets behind PAX headers and follows links inside the archive', async (t) => {
  const dir = await tempDir('ferry-tar-index', t);
  const long = `${'d'.repeat(120)}/file.bin`;
  const path = join(dir, 'in.tar');
  await writeFile(path, await packTar([
    { name: 'a.txt', data: Buffer.from('alpha') },
    { name: long, data: Buffer.from('long-named') },
    { name: 'id/layer.tar', type: 'symlink', linkname: '../a.txt' },
    { name: 'hard', type: 'link', linkname: 'a.txt' },
    { name: 'escape', type: 'symlink', linkname: '../../etc/passwd' },
    { name: 'loop1', type: 'symlink', linkname: 'loop2' },
    { name: 'loop2', type: 'symlink', linkname: 'loop1' },
  ]));
  const index = await indexTar(path, { where: 'test' });
  const read = async (name: string): Promise<string | undefined> => {
    const e = lookupTarFile(index, name);
    return e && (await readFileRange(path, e.dataOffset, e.size)).toString();
  };
  assert.equal(await read('./a.txt'), 'alpha');
  assert.equal(await read(long), 'long-named');
  assert.equal(await read('id/layer.tar'), 'alpha');
  assert.equal(await read('hard'), 'alpha');
  assert.equal(await read('escape'), undefined);
  assert.equal(await read('loop1'), undefined);
  assert.equal(await read('missing'), undefined);
});

test('extractTarSafely unpacks files and directories, gzip too', async (t) => {
  const dir = await tempDir('ferry-tar-extract', t);
  const tarBytes = await packTar([{ name: 'blobs/', type: 'directory' }, { name: 'blobs/sha256/x', data: Buffer.from('x') }, { name: 'index.json', data: Buffer.from('{}') }]);
  const { gzipSync } = await import('node:zlib');
  await writeFile(join(dir, 'in.tar.gz'), gzipSync(tarBytes));
  await extractTarSafely(join(dir, 'in.tar.gz'), join(dir), { where: 'test' });
  assert.equal(await readFile(join(dir, 'blobs', 'sha256', 'x'), 'utf8'), 'x');
  assert.equal(await readFile(join(dir, 'index.json'), 'utf8'), '{}');
});

test('a hostile oci-archive (.., absolute path, symlink, hard link, duplicate) is refused and writes nothing outside its temp dir', async (t) => {
  const work = await tempDir('ferry-hostile', t);
  const tag = randomUUID();
  const layoutHead: Entry[] = [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
  ];
  const outside = join(work, 'outside');
  const cases: Array<{ name: string; entries: Entry[]; planted: string }> = [
    { name: 'dotdot', entries: [{ name: `../ferry-evil-${tag}`, data: Buffer.from('x') }], planted: join(tmpdir(), `ferry-evil-${tag}`) },
    { name: 'deep-dotdot', entries: [{ name: `blobs/../../../ferry-evil2-${tag}`, data: Buffer.from('x') }], planted: join(tmpdir(), `ferry-evil2-${tag}`) },
    { name: 'absolute', entries: [{ name: `${work}/absolute-evil`, data: Buffer.from('x') }], planted: join(work, 'absolute-evil') },
    {
      name: 'symlink',
      entries: [{ name: 'blobs', type: 'symlink', linkname: outside }, { name: 'blobs/sha256/evil', data: Buffer.from('x') }],
      planted: join(outside, 'sha256', 'evil'),
    },
    { name: 'hardlink', entries: [{ name: 'passwd', type: 'link', linkname: '/etc/passwd' }], planted: join(work, 'never') },
    { name: 'duplicate', entries: [{ name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[{}]}') }], planted: join(work, 'never') },
  ];
  const tempsBefore = (await readdir(tmpdir())).filter((n) => n.startsWith('ferry-oci-archive-')).sort();
  for (const c of cases) {
    const path = join(work, `${c.name}.tar`);
    await writeFile(path, await packTar([...layoutHead, ...c.entries]));
    await assert.rejects(openImage(`oci-archive:${path}`, { role: 'source' }), (e) => isFerryError(e, 'CORRUPT') && e.message.includes(path), c.name);
    await assert.rejects(stat(c.planted), { code: 'ENOENT' }, `${c.name}: nothing planted at ${c.planted}`);
  }
  await assert.rejects(stat(outside), { code: 'ENOENT' });
  const tempsAfter = (await readdir(tmpdir())).filter((n) => n.startsWith('ferry-oci-archive-')).sort();
  assert.deepEqual(tempsAfter, tempsBefore, 'every temp dir was removed');
});
