import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import tar from 'tar-stream';
import { isFerryError } from '../src/errors.ts';
import { BUNDLE_FILE } from '../src/mirror/bundle/bundle-format.ts';
import { importBundle } from '../src/mirror/bundle/bundle-import.ts';
import { verifyBundle } from '../src/mirror/bundle/bundle-verify.ts';
import { openLayoutStore } from '../src/transports/layout/index.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';
import { listFiles } from './fixtures/mirror.ts';

interface Entry {
  name: string;
  type?: 'file' | 'symlink' | 'link' | 'directory';
  linkname?: string;
  data?: Buffer;
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    pack.entry({ name: e.name, type: e.type ?? 'file', mode: 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) }, e.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** A bundle whose only part holds `entries`; bundle.json is consistent with the part (size, sha256), so only the entry checks can stop it. */
async function hostileBundle(dir: string, entries: Entry[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const part = await packTar(entries);
  await writeFile(join(dir, 'mirror_000001.tar'), part);
  const payload = Buffer.from('a legitimate blob');
  const digest = `sha256:${sha256(payload)}`;
  const manifest = {
    format: 'ferry-bundle', version: 1, id: 'hostile-bundle-0001', created: new Date(0).toISOString(),
    images: [], blobs: [{ digest, size: payload.length, part: 'mirror_000001.tar' }],
    parts: [{ name: 'mirror_000001.tar', size: part.length, sha256: sha256(part), blobs: 1 }],
    carried: [digest],
  };
  await writeFile(join(dir, BUNDLE_FILE), JSON.stringify(manifest));
}

const legit = (): Entry => {
  const data = Buffer.from('a legitimate blob');
  return { name: `blobs/sha256/${sha256(data)}`, data };
};

const CASES: Array<{ what: string; entries: (root: string) => Entry[]; reason: RegExp }> = [
  { what: 'a ".." entry', entries: () => [legit(), { name: '../outside/evil', data: Buffer.from('pwned') }], reason: /contains "\.\."/ },
  { what: 'a ".." inside blobs/', entries: () => [{ name: 'blobs/sha256/../../../outside/evil', data: Buffer.from('pwned') }, legit()], reason: /contains "\.\."/ },
  { what: 'an absolute path', entries: (root) => [{ name: `${root}/outside/abs-evil`, data: Buffer.from('pwned') }, legit()], reason: /absolute path|not blobs\/<algorithm>\/<hex>/ },
  { what: 'a symlink', entries: (root) => [{ name: `blobs/sha256/${'a'.repeat(64)}`, type: 'symlink', linkname: `${root}/outside/target` }, legit()], reason: /symbolic link/ },
  { what: 'a hard link', entries: () => [{ name: `blobs/sha256/${'b'.repeat(64)}`, type: 'link', linkname: '/etc/passwd' }, legit()], reason: /hard link/ },
  { what: 'a foreign name', entries: () => [{ name: 'index.json', data: Buffer.from('{}') }, legit()], reason: /not blobs\/<algorithm>\/<hex>/ },
  { what: 'a directory', entries: () => [{ name: 'blobs/sha256/', type: 'directory' }, legit()], reason: /directory entry/ },
];

for (const c of CASES) {
  test(`bundle import refuses ${c.what} and writes nothing outside the store`, async (t) => {
    const root = await tempDir('bundle-hostile', t);
    await mkdir(join(root, 'outside'));
    const bundle = join(root, 'bundle');
    await hostileBundle(bundle, c.entries(root));
    const storeDir = join(root, 'store');
    const before = (await listFiles(root)).filter((f) => !f.startsWith('store/'));

    const run = await runFerry(['bundle', 'import', bundle, storeDir]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /refusing tar entry/);
    assert.match(run.stderr, c.reason);
    assert.doesNotMatch(run.stderr, /internal error|at .*\.ts:\d+/);

    const after = (await listFiles(root)).filter((f) => !f.startsWith('store/'));
    assert.deepEqual(after, before, 'no file appeared outside the store');
    await assert.rejects(lstat('/etc/passwd-pwned'));
    for (const f of await listFiles(storeDir)) {
      assert.ok((await lstat(join(storeDir, f))).isFile(), `${f} is a regular file`);
      assert.doesNotMatch(await readFile(join(storeDir, f), 'utf8').catch(() => ''), /pwned/);
    }
    // The refused import may have stored blobs before the bad entry (creating the store), or nothing.
    const store = await openLayoutStore(storeDir, { create: true });
    assert.deepEqual(await store.listEntries(), [], 'no image added');

    const verified = await verifyBundle(bundle);
    assert.ok(verified.problems.some((p) => p.kind === 'refused-entry' && c.reason.test(p.detail)), JSON.stringify(verified.problems));
    await assert.rejects(importBundle(bundle, store), (e) => isFerryError(e, 'CORRUPT'));
  });
}
