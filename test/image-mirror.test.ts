import assert from 'node:assert/strict';
import { readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type BuiltImage, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeoInspectDigest, skopeoInspectRaw } from './helpers/skopeo.ts';
import { seedRegistry } from './helpers/seed.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * `ferry image mirror` with `oc image mirror`'s arguments, between real
 * registries and oc's disk format, judged by skopeo: mapping files,
 * wildcard tags, `--filter-by-os` with and without `--keep-manifest-list`,
 * `--dir`, `--dry-run`.
 */

const SPECS: SyntheticImageSpec[] = [
  { name: 'team/app', tag: 'v1', layers: [8 * 1024] },
  { name: 'team/app', tag: 'v2', layers: [8 * 1024] },
  { name: 'team/app', tag: 'other', layers: [8 * 1024] },
  {
    name: 'team/tool', tag: '1', layers: [8 * 1024],
    platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
  },
];

describe('ferry image mirror', { skip: requirePeer('docker-registry', 'skopeo'), timeout: 180_000 }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let work: string;
  let images: Map<string, BuiltImage>;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-image-mirror')]);
    const store = syntheticStore(SPECS);
    await seedRegistry(source.host, store.repository('team/app'), ['v1', 'v2', 'other']);
    await seedRegistry(source.host, store.repository('team/tool'), ['1']);
    images = new Map(await Promise.all(SPECS.map(async (s) => [`${s.name}:${s.tag}`, await store.image(s.name, s.tag)] as const)));
  });

  after(async () => {
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  const digestAt = (ref: string) => skopeoInspectDigest(`docker://${ref}`, { tlsVerify: false });
  const top = (name: string) => images.get(name)!.top.digest;

  test('-f mapping files and arguments: wildcards keep their tags, SRC=DST renames, every platform by default', async () => {
    const file = join(work, 'mapping.txt');
    await writeFile(file, `# oc image mirror -f\n${source.host}/team/app:v* ${dest.host}/m/app\n${source.host}/team/tool:1=${dest.host}/m/tool:one\n`);
    const run = await runFerry(['image', 'mirror', '-f', file, `${source.host}/team/app:other`, `${dest.host}/m/app:renamed`, '--insecure', '--max-per-registry', '2']);
    assert.equal(run.code, 0, explain(run));
    assert.equal(await digestAt(`${dest.host}/m/app:v1`), top('team/app:v1'));
    assert.equal(await digestAt(`${dest.host}/m/app:v2`), top('team/app:v2'));
    assert.equal(await digestAt(`${dest.host}/m/app:renamed`), top('team/app:other'));
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/m/app:other`])).code, 0, 'the wildcard did not take "other"');
    assert.equal(await digestAt(`${dest.host}/m/tool:one`), top('team/tool:1'), 'the index as it is');
  });

  test('--filter-by-os: one platform alone, or a one-entry index with --keep-manifest-list', async () => {
    const arm = images.get('team/tool:1')!.manifests[2]!.digest;
    const one = await runFerry(['image', 'mirror', '--filter-by-os', 'linux/arm64', `${source.host}/team/tool:1`, `${dest.host}/f/tool`, '--insecure']);
    assert.equal(one.code, 0, explain(one));
    assert.equal(await digestAt(`${dest.host}/f/tool:1`), arm);
    const kept = await runFerry(['image', 'mirror', '--filter-by-os=linux/arm64', '--keep-manifest-list', `${source.host}/team/tool:1`, `${dest.host}/k/tool`, '--insecure']);
    assert.equal(kept.code, 0, explain(kept));
    const index = (await skopeoInspectRaw(`docker://${dest.host}/k/tool:1`, { tlsVerify: false })) as { manifests: Array<{ digest: string }> };
    assert.deepEqual(index.manifests.map((m) => m.digest), [arm]);
    const bad = await runFerry(['image', 'mirror', '--filter-by-os', '(', `${source.host}/team/tool:1`, `${dest.host}/k/tool`, '--insecure']);
    assert.equal(bad.code, 2, explain(bad));
    assert.match(bad.stderr, /--filter-by-os "\(" is not a valid regular expression/);
  });

  test('--dir writes oc\'s disk format; --dry-run plans and writes nothing; nothing to mirror is a usage error', async () => {
    const dir = join(work, 'disk');
    const toDisk = await runFerry(['image', 'mirror', '--dir', dir, `${source.host}/team/app:v1`, 'file://m/app', '--insecure']);
    assert.equal(toDisk.code, 0, explain(toDisk));
    assert.equal(await readlink(join(dir, 'v2', 'm', 'app', 'manifests', 'v1')), top('team/app:v1'));

    const dry = await runFerry(['image', 'mirror', '--dry-run', `${source.host}/team/app:v2`, `${dest.host}/dry/app`, '--insecure']);
    assert.equal(dry.code, 0, explain(dry));
    assert.match(dry.stdout, new RegExp(`^copy docker://${source.host}/team/app:v2 → docker://${dest.host}/dry/app:v2$`, 'm'));
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/dry/app:v2`])).code, 0);

    const nothing = await runFerry(['image', 'mirror']);
    assert.equal(nothing.code, 2, explain(nothing));
    assert.match(nothing.stderr, /nothing to mirror: give SRC DST/);
  });
});
