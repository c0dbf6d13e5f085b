import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import { EXPANSION_FLOOR_BYTES } from '../src/tar/compression.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Crafted image archives given to the real CLI: a gzip bomb (kilobytes that
 * unpack to hundreds of megabytes) as oci-archive and docker-archive, an
 * oversized metadata entry, and a docker-archive layer that is a symbolic
 * link out of the archive. Each is refused with a message that says so, and
 * what was unpacked so far is removed.
 */

/** Unpacking stops after the floor; this only ends a run that hangs. */
const RUN_TIMEOUT_MS = 120_000;

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

interface Entry {
  name: string;
  type?: 'file' | 'symlink';
  linkname?: string;
  data?: Buffer;
  /** A file of this many zero bytes, streamed (for entries too large to hold). */
  zeros?: number;
}

/** Writes a tar of `entries` to `path`, gzip-compressed when asked. */
async function writeTar(path: string, entries: Entry[], gzip: boolean): Promise<void> {
  const pack = tar.pack();
  const writing = gzip ? pipeline(pack, createGzip({ level: 9 }), createWriteStream(path)) : pipeline(pack, createWriteStream(path));
  for (const e of entries) {
    const header = { name: e.name, type: e.type ?? 'file', mode: 0o644, mtime: new Date(0), ...(e.linkname ? { linkname: e.linkname } : {}) };
    const zeros = e.zeros;
    if (zeros === undefined) {
      pack.entry(header, e.data ?? Buffer.alloc(0));
      continue;
    }
    const chunk = Buffer.alloc(1024 * 1024);
    await new Promise<void>((resolve, reject) => {
      const sink = pack.entry({ ...header, size: zeros }, (err) => (err ? reject(err) : resolve()));
      void (async () => {
        for (let left = zeros; left > 0; left -= chunk.length) {
          if (!sink.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await once(sink, 'drain');
        }
        sink.end(undefined);
      })();
    });
  }
  pack.finalize();
  await writing;
}

/** Runs ferry with its own TMPDIR, so what it unpacks there can be checked afterwards. */
async function runWithTmp(args: string[], tmp: string): Promise<Awaited<ReturnType<typeof runFerry>>> {
  return runFerry(args, { env: { TMPDIR: tmp }, timeoutMs: RUN_TIMEOUT_MS });
}

// Three times the floor: far over it, yet a few hundred KiB of gzip.
const BOMB_BYTES = 3 * EXPANSION_FLOOR_BYTES;

test('a gzip bomb as oci-archive or docker-archive is refused once it expands past the limit, and its temp files go', async (t) => {
  const dir = await tempDir('hostile-bomb', t);
  const tmp = await tempDir('hostile-bomb-tmp', t);
  const zeroDigest = `sha256:${'0'.repeat(64)}`;
  const oci = join(dir, 'bomb-oci.tar.gz');
  await writeTar(oci, [
    { name: 'oci-layout', data: Buffer.from('{"imageLayoutVersion":"1.0.0"}') },
    { name: `blobs/sha256/${zeroDigest.slice(7)}`, zeros: BOMB_BYTES },
    { name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[]}') },
  ], true);
  const docker = join(dir, 'bomb-docker.tar.gz');
  await writeTar(docker, [{ name: 'layer.tar', zeros: BOMB_BYTES }, { name: 'manifest.json', data: Buffer.from('[]') }], true);

  for (const [transport, path] of [['oci-archive', oci], ['docker-archive', docker]] as const) {
    const compressed = (await stat(path)).size;
    assert.ok(compressed * 100 < EXPANSION_FLOOR_BYTES, `the bomb is small (${compressed} bytes)`);
    const run = await runWithTmp(['inspect', `${transport}:${path}`], tmp);
    assert.notEqual(run.code, null, `ferry hung\n${explain(run)}`);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, new RegExp(`the archive expands to more than ${EXPANSION_FLOOR_BYTES} bytes, over 100 times its compressed size of ${compressed} bytes`));
    assert.match(run.stderr, /decompression bomb/);
    assert.deepEqual(await readdir(tmp), [], `${transport}: nothing is left in TMPDIR`);
  }
});

test('an oci-archive whose oci-layout entry is too large is refused from its tar header', async (t) => {
  const dir = await tempDir('hostile-entry', t);
  const tmp = await tempDir('hostile-entry-tmp', t);
  const path = join(dir, 'big-marker.tar');
  await writeTar(path, [{ name: 'oci-layout', data: Buffer.alloc(100 * 1024, 0x20) }, { name: 'index.json', data: Buffer.from('{"schemaVersion":2,"manifests":[]}') }], false);
  const run = await runWithTmp(['inspect', `oci-archive:${path}`], tmp);
  assert.equal(run.code, 1, explain(run));
  assert.match(run.stderr, /tar entry "oci-layout" is 102400 bytes, over the 65536-byte limit for it/);
  assert.deepEqual(await readdir(tmp), []);
});

test('a docker-archive layer that is a symbolic link out of the archive is named as such', async (t) => {
  const dir = await tempDir('hostile-link', t);
  const outside = join(dir, 'outside.tar');
  await writeFile(outside, Buffer.alloc(1024));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(Buffer.alloc(1024))}`] } }));
  const configName = `${sha256(config)}.json`;
  const path = join(dir, 'escape.tar');
  await writeTar(path, [
    { name: configName, data: config },
    { name: 'layer/layer.tar', type: 'symlink', linkname: '../../outside.tar' },
    { name: 'manifest.json', data: Buffer.from(JSON.stringify([{ Config: configName, RepoTags: ['app:1'], Layers: ['layer/layer.tar'] }])) },
  ], false);
  const run = await runFerry(['copy', `docker-archive:${path}`, `oci:${join(dir, 'out')}:x`]);
  assert.equal(run.code, 1, explain(run));
  assert.match(run.stderr, /"layer\/layer\.tar" is a symbolic link to "\.\.\/\.\.\/outside\.tar", outside the archive/);
  assert.doesNotMatch(run.stderr, /has no file|internal error/);
  await assert.rejects(readdir(join(dir, 'out')), { code: 'ENOENT' }, 'the failed copy created no layout');
});
