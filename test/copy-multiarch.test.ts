import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { currentPlatform } from '../src/oci/platform.ts';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { explain, runFerry, type FerryRun } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeo, skopeoInspectDigest, skopeoInspectRaw } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * Multi-platform indexes: `--all` keeps the index digest, `--platform` picks
 * one instance or writes a subset index, the default picks the instance
 * skopeo picks on this machine, and `--preserve-digests` refuses anything else.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const PLATFORMS = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
  { os: 'linux', architecture: 'ppc64le' },
];
/** This machine's platform, when the three above lack it, so the default choice is tested on any machine. */
const HERE = currentPlatform();
const EXTRA = PLATFORMS.some((p) => p.architecture === HERE.architecture && p.os === HERE.os) ? [] : [HERE];

const store = syntheticStore([{ name: 'multi/app', tag: 'v1', layers: [100 * 1024, 150_000], platforms: [...PLATFORMS, ...EXTRA] }]);

interface IndexJson {
  mediaType: string;
  manifests: Array<{ digest: string; platform?: { os: string; architecture: string } }>;
}

/** The `{result}` record of a `--json` run. */
function resultOf(run: FerryRun): { digest: string; mediaType: string } {
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(last) as { result?: { digest: string; mediaType: string } };
  assert.ok(parsed.result, `no result record in:\n${run.stdout}`);
  return parsed.result;
}

describe('multi-platform copies', { skip }, () => {
  let registry: RunningRegistry;
  let built: BuiltImage;
  const plain = ['--src-tls-verify=false', '--dest-tls-verify=false'];
  const ref = (repo: string): string => `docker://${registry.host}/${repo}:v1`;
  const digestAt = (repo: string): Promise<string> => skopeoInspectDigest(ref(repo), { tlsVerify: false });
  const instance = (architecture: string): string => {
    const found = built.images.find((i) => i.platform.architecture === architecture);
    assert.ok(found, architecture);
    return found.manifest.digest;
  };
  const copy = (args: string[], to: string): Promise<FerryRun> => runFerry(['--json', 'copy', ...plain, ...args, ref('multi/app'), ref(to)]);

  before(async () => {
    registry = await startRegistry();
    built = await store.image('multi/app', 'v1');
    await seedRegistry(registry.host, store.repository('multi/app'), ['v1']);
  });

  after(async () => {
    await registry?.stop();
  });

  test('--all copies the index byte for byte, every instance included', async () => {
    const run = await copy(['--all'], 'all/app');
    assert.equal(run.code, 0, explain(run));
    assert.equal(resultOf(run).digest, built.top.digest);
    assert.equal(await digestAt('all/app'), built.top.digest);
    for (const image of built.images) {
      const at = `docker://${registry.host}/all/app@${image.manifest.digest}`;
      assert.equal(await skopeoInspectDigest(at, { tlsVerify: false }), image.manifest.digest);
    }
  });

  test('--all --preserve-digests succeeds: nothing changes a digest', async () => {
    const run = await copy(['--all', '--preserve-digests'], 'all-preserved/app');
    assert.equal(run.code, 0, explain(run));
    assert.equal(await digestAt('all-preserved/app'), built.top.digest);
  });

  test('--platform linux/arm64 copies that single instance', async () => {
    const run = await copy(['--platform', 'linux/arm64'], 'arm64/app');
    assert.equal(run.code, 0, explain(run));
    assert.equal(resultOf(run).digest, instance('arm64'));
    assert.equal(await digestAt('arm64/app'), instance('arm64'));
    const manifest = (await skopeoInspectRaw(ref('arm64/app'), { tlsVerify: false })) as { mediaType: string };
    assert.equal(manifest.mediaType, 'application/vnd.oci.image.manifest.v1+json');
  });

  test('two --platform flags write a 2-entry index of those instances', async () => {
    const run = await copy(['--platform', 'linux/amd64', '--platform', 'linux/arm64'], 'subset/app');
    assert.equal(run.code, 0, explain(run));
    const digest = await digestAt('subset/app');
    assert.equal(resultOf(run).digest, digest);
    assert.notEqual(digest, built.top.digest, 'a subset is a new index');
    const index = (await skopeoInspectRaw(ref('subset/app'), { tlsVerify: false })) as IndexJson;
    assert.equal(index.mediaType, 'application/vnd.oci.image.index.v1+json');
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [instance('amd64'), instance('arm64')].sort());
    assert.deepEqual(index.manifests.map((m) => m.platform?.architecture).sort(), ['amd64', 'arm64']);
    // Each listed instance is there, and skopeo can pull the subset whole.
    for (const m of index.manifests) {
      assert.equal(await skopeoInspectDigest(`docker://${registry.host}/subset/app@${m.digest}`, { tlsVerify: false }), m.digest);
    }
  });

  test('without --all or --platform the instance skopeo picks for this machine is copied', async () => {
    // skopeo is the oracle: the instance it copies from the same index by default.
    const dir = await tempDir('ferry-multiarch-skopeo');
    try {
      await skopeo(['copy', '--src-tls-verify=false', ref('multi/app'), `dir:${dir}`]);
      const chosen = `sha256:${createHash('sha256').update(await readFile(join(dir, 'manifest.json'))).digest('hex')}`;
      assert.ok(built.images.some((i) => i.manifest.digest === chosen), 'skopeo copied one instance of the index');
      const run = await copy([], 'default/app');
      assert.equal(run.code, 0, explain(run));
      assert.equal(resultOf(run).digest, chosen);
      assert.equal(await digestAt('default/app'), chosen);
    } finally {
      await removeTempDir(dir);
    }
  });

  test('--preserve-digests without --all fails (exit 1) and writes no tag', async () => {
    for (const [args, repo] of [
      [['--preserve-digests'], 'preserve-default/app'],
      [['--preserve-digests', '--platform', 'linux/arm64'], 'preserve-one/app'],
      [['--preserve-digests', '--platform', 'linux/amd64', '--platform', 'linux/arm64'], 'preserve-two/app'],
    ] as const) {
      const run = await runFerry(['copy', ...plain, ...args, ref('multi/app'), ref(repo)]);
      assert.equal(run.code, 1, explain(run));
      assert.match(run.stderr, /digest/i);
      assert.match(run.stderr, /--all/, 'the hint names the way out');
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      const inspected = await runSkopeo(['inspect', '--raw', '--tls-verify=false', ref(repo)]);
      assert.notEqual(inspected.code, 0, `${repo} must have no manifest`);
    }
  });

  test('a platform the index lacks fails with exit 2 and lists what is there; --all with --platform is a usage error', async () => {
    const missing = await runFerry(['copy', ...plain, '--platform', 'linux/riscv64', ref('multi/app'), ref('missing/app')]);
    assert.equal(missing.code, 2, explain(missing));
    assert.match(missing.stderr, /linux\/riscv64/);
    assert.match(missing.stderr, /linux\/arm64/);
    const both = await runFerry(['copy', ...plain, '--all', '--platform', 'linux/arm64', ref('multi/app'), ref('both/app')]);
    assert.equal(both.code, 2, explain(both));
    assert.match(both.stderr, /mutually exclusive/);
  });
});
