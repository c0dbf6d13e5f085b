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
  TarFileWriter, TarStreamWriter, encodeHeader, extractTarSafely, indexTar, lookupTarFile, readFileRange, resolveInArchive, safeEntryPath, stageTar,
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

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

test('TarStreamWriter streams entries of known size that tar-stream reads back, long names through PAX', async (t) => {
  const dir = await tempDir('ferry-tar-stream', t);
  const w = new TarStreamWriter();
  const bytes = collect(w.stream);
  await w.addBytes('manifest.json', Buffer.from('[]'));
  const long = `${'e'.repeat(120)}/layer.tar`;
  await w.addKnownFile(long, 1500, (async function* () {
    yield Buffer.alloc(1000, 1);
    yield Buffer.alloc(500, 2);
  })());
  await w.addKnownFile('empty', 0, []);
  await w.finish();
  const path = join(dir, 'out.tar');
  await writeFile(path, await bytes);
  const entries = await readTar(path);
  assert.deepEqual(entries.map((e) => [e.name, e.data.length]), [['manifest.json', 2], [long, 1500], ['empty', 0]]);
  assert.deepEqual(entries[1]!.data, Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(500, 2)]));
});

test('TarStreamWriter: a failure before an entry\'s first byte leaves the archive whole; one in the middle breaks it for good', async () => {
  const w = new TarStreamWriter();
  const bytes = collect(w.stream).catch((error: unknown) => error);
  const failsAtOnce: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('source down before any byte')) }),
  };
  await assert.rejects(w.addKnownFile('early', 10, failsAtOnce), /source down/);
  assert.equal(w.broken, undefined);
  await w.addBytes('ok', Buffer.from('fine'));
  await assert.rejects(w.addKnownFile('late', 10, (async function* () {
    yield Buffer.alloc(4);
    throw new Error('source broke half-way');
  })()), /source broke half-way/);
  assert.ok(w.broken);
  await assert.rejects(w.addBytes('after', Buffer.from('x')), (e) => isFerryError(e, 'IO') && /broke while late was written/.test(e.message), 'no entry can follow a torn one');
  assert.equal(w.readerGone, false);
  assert.ok((await bytes) instanceof Error, 'the reader sees a broken stream, never a complete archive');
  // Announcing a size and sending another is refused the same way.
  const v = new TarStreamWriter();
  void collect(v.stream).catch(() => undefined);
  await assert.rejects(v.addKnownFile('short', 10, [Buffer.alloc(4)]), (e) => isFerryError(e, 'SIZE_MISMATCH'));
});

test('TarStreamWriter: a reader that goes away fails the pending write instead of leaving it waiting', async () => {
  const w = new TarStreamWriter();
  const big = Buffer.alloc(1024 * 1024);
  const writing = w.addKnownFile('big', big.length * 8, Array.from({ length: 8 }, () => big));
  setImmediate(() => w.stream.destroy(new Error('upload refused')));
  await assert.rejects(writing, /reader of the tar stream went away \(upload refused\)/);
  assert.equal(w.readerGone, true);
});

test('stageTar writes a streamed tar to a file and indexes it in the same pass; a torn stream is an error', async (t) => {
  const dir = await tempDir('ferry-tar-stage', t);
  const tarBytes = await packTar([{ name: 'manifest.json', data: Buffer.from('[1]') }, { name: 'x/layer.tar', data: Buffer.alloc(3000, 9) }]);
  const path = join(dir, 'staged.tar');
  const index = await stageTar(Readable.from([tarBytes.subarray(0, 700), tarBytes.subarray(700)]), path, { where: 'test' });
  assert.deepEqual(await readFile(path), tarBytes);
  const layer = lookupTarFile(index, 'x/layer.tar')!;
  assert.deepEqual(await readFileRange(path, layer.dataOffset, layer.size), Buffer.alloc(3000, 9));

  await assert.rejects(stageTar(Readable.from([tarBytes.subarray(0, 1200)]), join(dir, 'short.tar'), { where: 'test' }), (e) => isFerryError(e, 'CORRUPT') && e.message.startsWith('test:'));
  const broken = new Readable({ read() {} });
  broken.push(tarBytes.subarray(0, 700));
  setImmediate(() => broken.destroy(new Error('connection reset')));
  await assert.rejects(stageTar(broken, join(dir, 'broken.tar'), { where: 'test' }), (e) => isFerryError(e, 'NETWORK') && e.retryable && /broke off \(connection reset\)/.test(e.message));
});
