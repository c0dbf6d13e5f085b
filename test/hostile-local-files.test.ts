import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_CONFIG_BYTES } from '../src/sync/config/load.ts';
import { explain, runFerry, type FerryRun } from './helpers/ferry-cli.ts';
import { tempDir } from './helpers/tmp.ts';
import { seedStore, sharedSpecs } from './fixtures/mirror.ts';

/**
 * Local files that are not what ferry expects, given to the real CLI: a FIFO
 * (which would block a plain open for ever) or a symbolic link to /dev/zero
 * (which never ends) where a regular file belongs, configs too large to
 * parse, and commands that fail: each is refused at once, naming the file
 * and what is wrong, and leaves nothing behind. A run that hangs ends at the
 * timeout and fails its test instead of hanging the suite.
 */

/** A refusal takes one CLI start-up; this only ends a run that hangs. */
const HANG_TIMEOUT_MS = 30_000;

function ferry(args: string[]): Promise<FerryRun> {
  return runFerry(args, { timeoutMs: HANG_TIMEOUT_MS });
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

/** The run ended by itself (not at the timeout) with exit 1, saying what `path` is, and without a stack trace. */
function assertRefused(run: FerryRun, path: string, kind: RegExp): void {
  assert.notEqual(run.code, null, `ferry hung and was killed at the timeout\n${explain(run)}`);
  assert.equal(run.code, 1, explain(run));
  assert.ok(run.stderr.includes(path), `the message names ${path}\n${explain(run)}`);
  assert.match(run.stderr, kind);
  assert.doesNotMatch(run.stderr, /internal error|at .*\.ts:\d+/);
}

const FIFO = /is a FIFO \(named pipe\), not a regular file/;
const ZERO_LINK = /is a symbolic link to a character device, not a regular file/;

test('a FIFO as manifest-digest FILE, k8s scan PATH or docker-archive:PATH is refused at once', async (t) => {
  const dir = await tempDir('hostile-fifo', t);
  const fifo = join(dir, 'pipe');
  mkfifo(fifo);
  assertRefused(await ferry(['manifest-digest', fifo]), fifo, FIFO);
  assertRefused(await ferry(['inspect', `docker-archive:${fifo}`]), fifo, FIFO);
  assertRefused(await ferry(['copy', `docker-archive:${fifo}`, `oci:${join(dir, 'out')}:x`]), fifo, FIFO);
  // scan reports unreadable files with its findings, on stdout.
  const scan = await ferry(['k8s', 'scan', fifo]);
  assertRefused({ ...scan, stderr: `${scan.stdout}${scan.stderr}` }, fifo, FIFO);

  const zero = join(dir, 'zero');
  await symlink('/dev/zero', zero);
  assertRefused(await ferry(['manifest-digest', zero]), zero, ZERO_LINK);
  assertRefused(await ferry(['inspect', `docker-archive:${zero}`]), zero, ZERO_LINK);
  assert.deepEqual((await readdir(dir)).sort(), ['pipe', 'zero'], 'nothing was created');
});

test('a bundle whose bundle.json or part is a FIFO or a link to /dev/zero is refused by verify and import', async (t) => {
  const root = await tempDir('hostile-bundle-files', t);
  await seedStore(join(root, 'store'), sharedSpecs());
  const made = await ferry(['bundle', 'create', join(root, 'store'), join(root, 'good')]);
  assert.equal(made.code, 0, explain(made));
  const part = 'mirror_000001.tar';
  const goodJson = await readFile(join(root, 'good', 'bundle.json'));

  for (const [what, plant] of [
    ['FIFO', (path: string) => Promise.resolve(mkfifo(path))],
    ['/dev/zero link', (path: string) => symlink('/dev/zero', path)],
  ] as const) {
    const kind = what === 'FIFO' ? FIFO : ZERO_LINK;
    const partKind = what === 'FIFO' ? 'a FIFO \\(named pipe\\)' : 'a character device';
    // bundle.json itself, given as the bundle's directory or as the file.
    const hostileJson = join(root, `json-${what === 'FIFO' ? 'fifo' : 'zero'}`);
    await mkdir(hostileJson);
    await plant(join(hostileJson, 'bundle.json'));
    assertRefused(await ferry(['bundle', 'verify', hostileJson]), join(hostileJson, 'bundle.json'), kind);
    assertRefused(await ferry(['bundle', 'verify', join(hostileJson, 'bundle.json')]), join(hostileJson, 'bundle.json'), kind);
    assertRefused(await ferry(['bundle', 'create', join(root, 'store'), join(root, `since-${what === 'FIFO' ? 'fifo' : 'zero'}`), '--since', hostileJson]), join(hostileJson, 'bundle.json'), kind);

    // A part: the table of contents is intact, the part is not a file.
    const hostilePart = join(root, `part-${what === 'FIFO' ? 'fifo' : 'zero'}`);
    await mkdir(hostilePart);
    await writeFile(join(hostilePart, 'bundle.json'), goodJson);
    await plant(join(hostilePart, part));
    const verify = await ferry(['bundle', 'verify', hostilePart]);
    assert.notEqual(verify.code, null, `bundle verify hung\n${explain(verify)}`);
    assert.equal(verify.code, 1, explain(verify));
    assert.match(verify.stdout, new RegExp(`unreadable-part ${part}: bundle part ${part} is ${partKind}, not a regular file`));
    const storeDir = join(root, `imported-${what === 'FIFO' ? 'fifo' : 'zero'}`);
    const imported = await ferry(['bundle', 'import', hostilePart, storeDir]);
    assert.notEqual(imported.code, null, `bundle import hung\n${explain(imported)}`);
    assert.equal(imported.code, 1, explain(imported));
    assert.match(imported.stderr, new RegExp(`bundle part ${part} is ${partKind}, not a regular file`));
    await assert.rejects(readdir(storeDir), { code: 'ENOENT' }, 'the failed import created no store');
  }
});

test('failed commands leave nothing behind: delete, a copy failing on its source, bundle create of nothing', async (t) => {
  const root = await tempDir('hostile-leftovers', t);
  const store = join(root, 'store');
  await seedStore(store, sharedSpecs());

  const missing = join(root, 'missing');
  const deleted = await ferry(['delete', `oci:${missing}:x`]);
  assert.equal(deleted.code, 2, explain(deleted));
  await assert.rejects(readdir(missing), { code: 'ENOENT' }, 'delete created no layout');

  // The source layout exists but has no such image; then a source registry nobody listens on.
  const out = join(root, 'out');
  const noImage = await ferry(['copy', `oci:${store}:team/app:9`, `oci:${out}:x`]);
  assert.equal(noImage.code, 2, explain(noImage));
  const noRegistry = await ferry(['copy', '--retry-times', '0', '--src-tls-verify=false', 'docker://127.0.0.1:1/none:1', `oci:${out}:x`]);
  assert.equal(noRegistry.code, 1, explain(noRegistry));
  await assert.rejects(readdir(out), { code: 'ENOENT' }, 'the failed copies created no layout');

  // Refused by the signature policy: an empty directory given as the destination stays empty.
  const policy = join(root, 'reject.json');
  await writeFile(policy, JSON.stringify({ default: [{ type: 'reject' }] }));
  const empty = join(root, 'empty');
  await mkdir(empty);
  const refused = await ferry(['copy', '--policy', policy, `oci:${store}:team/app:1`, `oci:${empty}:x`]);
  assert.equal(refused.code, 1, explain(refused));
  assert.match(refused.stderr, /rejected by signature policy/);
  assert.deepEqual(await readdir(empty), []);

  // bundle create of an empty directory, and of a layout with no images: an error, no bundle, no layout.
  const bundleOut = join(root, 'bundle');
  const ofEmptyDir = await ferry(['bundle', 'create', empty, bundleOut]);
  assert.equal(ofEmptyDir.code, 2, explain(ofEmptyDir));
  assert.deepEqual(await readdir(empty), [], 'the directory did not become a layout');
  const emptyLayout = join(root, 'empty-layout');
  await mkdir(join(emptyLayout, 'blobs', 'sha256'), { recursive: true });
  await writeFile(join(emptyLayout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  await writeFile(join(emptyLayout, 'index.json'), '{"schemaVersion":2,"manifests":[]}');
  const ofNothing = await ferry(['bundle', 'create', emptyLayout, bundleOut]);
  assert.equal(ofNothing.code, 2, explain(ofNothing));
  assert.match(ofNothing.stderr, /holds no images: there is nothing to bundle/);
  await assert.rejects(readdir(bundleOut), { code: 'ENOENT' }, 'no bundle directory was made');

  // A copy that does succeed creates its layout.
  const copied = await ferry(['copy', `oci:${store}:team/app:1`, `oci:${out}:x`]);
  assert.equal(copied.code, 0, explain(copied));
  assert.ok((await readdir(out)).includes('oci-layout'));
});

test('bundle create onto an existing file says the file is not a directory', async (t) => {
  const root = await tempDir('hostile-bundle-out', t);
  await seedStore(join(root, 'store'), sharedSpecs());
  const file = join(root, 'taken');
  await writeFile(file, 'something else');
  const run = await ferry(['bundle', 'create', join(root, 'store'), file]);
  assert.equal(run.code, 2, explain(run));
  assert.match(run.stderr, new RegExp(`${file} exists and is not a directory`));
  assert.doesNotMatch(run.stderr, /internal error|bug in ferry/);
  assert.equal(await readFile(file, 'utf8'), 'something else');
  await rm(file);
});

test('a sync config over the size limit is refused before it is parsed; a large one names its bad last line', async (t) => {
  const dir = await tempDir('hostile-yaml', t);
  const big = join(dir, 'big.yaml');
  const line = '    app: [\'1.0\']\n';
  await writeFile(big, `registry.example.com:\n  images:\n${line.repeat(Math.ceil((MAX_CONFIG_BYTES + 1) / line.length))}`);
  const tooBig = await ferry(['sync', '--src', 'yaml', '--dest', 'dir', big, join(dir, 'out')]);
  assertRefused(tooBig, big, new RegExp(`larger than the ${MAX_CONFIG_BYTES}-byte limit`));

  // One map of 100,000 keys whose last repeats the first: the duplicate check is one pass (a pairwise one takes many minutes).
  const keys = 100_000;
  const many = join(dir, 'many.yaml');
  const images = Array.from({ length: keys }, (_, i) => `    app${i}: ['1.0']\n`).join('');
  await writeFile(many, `registry.example.com:\n  images:\n${images}    app0: ['2.0']\n`);
  const duplicate = await runFerry(['sync', '--src', 'yaml', '--dest', 'dir', many, join(dir, 'out')], { timeoutMs: 120_000 });
  assert.notEqual(duplicate.code, null, `ferry did not finish\n${explain(duplicate)}`);
  assert.equal(duplicate.code, 1, explain(duplicate));
  assert.match(duplicate.stderr, new RegExp(`many\\.yaml:${keys + 3}: duplicate key: Map keys must be unique`));
  await assert.rejects(readdir(join(dir, 'out')), { code: 'ENOENT' });
});
