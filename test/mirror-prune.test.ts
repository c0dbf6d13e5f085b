import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { image, seed, tags } from './fixtures/sync.ts';

/**
 * The air gap made exact, with real registries on both sides and skopeo as
 * the judge: `mirror --to-dir --prune` drops from the connected store what
 * upstream deleted, its full bundle lists the connected side completely,
 * `bundle import --prune` (after a `--dry-run` naming the deletion) removes
 * the image from the inside store and keeps one added there by hand, and
 * `mirror --from-bundle --prune` makes the inside registry follow.
 */

const skip = requirePeer('docker-registry', 'skopeo');
const SPECS: SyntheticImageSpec[] = [image('team/app', 'v1'), image('team/app', 'v2'), image('team/tools', '1.0')];
const store = syntheticStore(SPECS);

interface Index {
  manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
}

async function names(layout: string): Promise<string[]> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as Index;
  return index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '').filter((n) => n !== '').sort();
}

describe('air gap --prune', { skip }, () => {
  let upstream: RunningRegistry;
  let inside: RunningRegistry;
  let work: string;
  before(async () => {
    [upstream, inside, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-mirror-prune')]);
    await seed(store, upstream.host, [['team/app', 'v1'], ['team/app', 'v2'], ['team/tools', '1.0']]);
  });
  after(async () => {
    await Promise.all([upstream?.stop(), inside?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('upstream deletes a tag: the connected store, the bundle, the inside store and the inside registry all follow', async () => {
    const config = join(work, 'images.yaml');
    await writeFile(config, `${upstream.host}:\n  tls-verify: false\n  images-by-tag-regex:\n    team/app: ".*"\n    team/tools: ".*"\n`);
    const connected = join(work, 'connected');
    const insideDir = join(work, 'inside');
    const insideStore = join(insideDir, 'store');
    const toDisk = () => runFerry(['mirror', '--config', config, '--to-dir', connected, '--prune']);
    const fromBundle = () => runFerry(['mirror', '--from-bundle', join(connected, 'bundle'), '--from-dir', insideDir, '--to', `docker://${inside.host}/m`, '--dest-tls-verify=false', '--prune']);

    let run = await toDisk();
    assert.equal(run.code, 0, explain(run));
    const first = JSON.parse(await readFile(join(connected, 'bundle', 'bundle.json'), 'utf8')) as { origin?: string; images: Array<{ name?: string }> };
    assert.match(first.origin ?? '', /^[0-9a-f-]{36}$/);
    run = await fromBundle();
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(await tags(inside.url, 'm/team/app'), ['_ferry-state', 'v1', 'v2']);
    // Added inside by hand: not the bundle's, never pruned.
    await skopeoCopy(`docker://${upstream.host}/team/tools:1.0`, `oci:${insideStore}:local/handmade:1`, ['--preserve-digests'], { src: { tlsVerify: false } });

    await skopeo(['delete', '--tls-verify=false', `docker://${upstream.host}/team/app:v2`]);
    const v2 = (await store.image('team/app', 'v2')).top.digest;
    run = await toDisk();
    assert.equal(run.code, 0, explain(run));
    assert.match(run.stdout, new RegExp(`deleted oci:${connected.replace(/[/.]/g, '\\$&')}/store:team/app:v2 \\(digest ${v2}\\)`));
    assert.deepEqual(await names(join(connected, 'store')), ['team/app:v1', 'team/tools:1.0']);
    const second = JSON.parse(await readFile(join(connected, 'bundle', 'bundle.json'), 'utf8')) as { origin?: string; images: Array<{ name?: string }> };
    assert.equal(second.origin, first.origin, 'the same connected store, the same origin');
    assert.deepEqual(second.images.map((i) => i.name).sort(), ['team/app:v1', 'team/tools:1.0'], 'the full bundle lists the connected side completely');

    const dry = await runFerry(['bundle', 'import', join(connected, 'bundle'), insideStore, '--prune', '--dry-run']);
    assert.equal(dry.code, 0, explain(dry));
    assert.deepEqual(dry.stdout.split('\n').filter((l) => l.startsWith('delete ')), [`delete oci:${insideStore}:team/app:v2 (digest ${v2})`]);
    assert.ok((await names(insideStore)).includes('team/app:v2'), 'a dry run removes nothing');

    run = await fromBundle();
    assert.equal(run.code, 0, explain(run));
    assert.deepEqual(await names(insideStore), ['local/handmade:1', 'team/app:v1', 'team/tools:1.0']);
    assert.equal((await runSkopeo(['inspect', '--raw', `oci:${insideStore}:team/app:v2`])).code === 0, false);
    assert.equal(await skopeoInspectDigest(`oci:${insideStore}:team/app:v1`), (await store.image('team/app', 'v1')).top.digest);
    assert.deepEqual(await tags(inside.url, 'm/team/app'), ['_ferry-state', 'v1']);
    assert.equal((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${inside.host}/m/team/app:v2`])).code === 0, false);
    // The image added by hand went to the mirror too (pushed by ferry: its state is recorded there), and stays.
    assert.deepEqual(await tags(inside.url, 'm/local/handmade'), ['1', '_ferry-state']);
  });

  test('bundle import --prune refuses a bundle that does not name its origin', async () => {
    const store1 = join(work, 'old-store');
    const out = join(work, 'old-bundle');
    assert.equal((await runFerry(['sync', '--src', 'docker', '--dest', 'oci', '--src-tls-verify=false', `${upstream.host}/team/tools`, store1])).code, 0);
    assert.equal((await runFerry(['bundle', 'create', store1, out])).code, 0);
    const file = join(out, 'bundle.json');
    const manifest = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    delete manifest['origin'];
    await writeFile(file, JSON.stringify(manifest));
    const run = await runFerry(['bundle', 'import', out, join(work, 'old-inside'), '--prune']);
    assert.equal(run.code, 2, explain(run));
    assert.match(run.stderr, /does not name the store it lists/);
  });
});
