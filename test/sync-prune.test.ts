import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { runSkopeo, skopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { image, PLAIN, seed, syncWithReport, tags, type Report } from './fixtures/sync.ts';

/**
 * `ferry sync --prune` against real registries (Debian's docker-registry with
 * deletion enabled, and one without it for the refusal), skopeo deleting
 * upstream tags and judging what the destination holds: a tag upstream
 * deleted goes, a tag pushed by hand stays, a manifest shared with a tag that
 * stays is not deleted, `--max-delete` stops a mass deletion, an outage or an
 * empty listing deletes nothing, OCI layouts lose the index entry and `ferry
 * gc` the blobs.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const SPECS: SyntheticImageSpec[] = ['v1', 'v2', 'v3', 'v4', 'v5'].map((tag) => image('team/app', tag)).concat([image('team/tools', '1.0')]);
const store = syntheticStore(SPECS);

type PruneReport = Report & { prune?: { deleted: number; planned: number; failed: number; kept: number; notRun: number; deletions: Array<{ destination: string; digest: string; status: string; reason?: string }> } };

async function digestOf(tag: string): Promise<string> {
  return (await store.image('team/app', tag)).top.digest;
}

/** Deletes an upstream tag as an operator would: skopeo delete (by the digest the tag names). */
async function deleteUpstream(host: string, repository: string, tag: string): Promise<void> {
  await skopeo(['delete', '--tls-verify=false', `docker://${host}/${repository}:${tag}`]);
}

async function exists(ref: string): Promise<boolean> {
  return (await runSkopeo(['inspect', '--raw', '--tls-verify=false', ref])).code === 0;
}

async function pruneSync(work: string, name: string, source: string, dest: string, extra: readonly string[] = []): Promise<{ run: Awaited<ReturnType<typeof runFerry>>; report: PruneReport | undefined }> {
  const r = await syncWithReport(work, name, ['--src', 'docker', '--dest', 'docker', ...PLAIN, source, dest, '--prune', ...extra]);
  return { run: r.run, report: r.report as PruneReport | undefined };
}

describe('ferry sync --prune', { skip }, () => {
  let work: string;
  before(async () => {
    work = await tempDir('ferry-sync-prune');
  });
  after(async () => {
    if (work) await removeTempDir(work);
  });

  describe('registry to registry', () => {
    let source: RunningRegistry;
    let dest: RunningRegistry;
    before(async () => {
      [source, dest] = await Promise.all([startRegistry(), startRegistry()]);
      await seed(store, source.host, [['team/app', 'v1'], ['team/app', 'v2'], ['team/app', 'v3'], ['team/tools', '1.0']]);
    });
    after(() => Promise.all([source?.stop(), dest?.stop()]));

    test('upstream deletes a tag: --dry-run names it and deletes nothing, --prune deletes it and keeps a tag pushed by hand', async () => {
      const first = await pruneSync(work, 'first', `${source.host}/team/app`, `${dest.host}/mirror`);
      assert.equal(first.run.code, 0, explain(first.run));
      assert.equal(first.report?.totals.copied, 3);
      assert.deepEqual(first.report?.prune?.deletions, []);
      // The state lives in the destination repository, beside the images.
      assert.deepEqual(await tags(dest.url, 'mirror/app'), ['_ferry-state', 'v1', 'v2', 'v3']);
      // A tag pushed by hand, not by ferry: another image, in the same repository.
      await skopeoCopy(`docker://${source.host}/team/tools:1.0`, `docker://${dest.host}/mirror/app:handmade`, ['--preserve-digests'], { src: { tlsVerify: false }, dest: { tlsVerify: false } });

      await deleteUpstream(source.host, 'team/app', 'v2');
      const v2 = await digestOf('v2');
      const dry = await pruneSync(work, 'dry', `${source.host}/team/app`, `${dest.host}/mirror`, ['--dry-run']);
      assert.equal(dry.run.code, 0, explain(dry.run));
      const deleteLines = dry.run.stdout.split('\n').filter((l) => l.startsWith('delete '));
      assert.deepEqual(deleteLines, [`delete docker://${dest.host}/mirror/app:v2 (digest ${v2})`]);
      assert.ok(await exists(`docker://${dest.host}/mirror/app:v2`), 'a dry run deletes nothing');
      assert.deepEqual(dry.report?.prune?.deletions, [{ destination: `docker://${dest.host}/mirror/app:v2`, digest: v2, status: 'planned' }]);

      const real = await pruneSync(work, 'real', `${source.host}/team/app`, `${dest.host}/mirror`);
      assert.equal(real.run.code, 0, explain(real.run));
      assert.match(real.run.stdout, new RegExp(`deleted docker://${dest.host.replace(/\./g, '\\.')}/mirror/app:v2 \\(digest ${v2}\\)`));
      assert.deepEqual(real.report?.prune?.deletions, [{ destination: `docker://${dest.host}/mirror/app:v2`, digest: v2, status: 'deleted' }]);
      assert.equal(await exists(`docker://${dest.host}/mirror/app:v2`), false, 'skopeo no longer finds the pruned tag');
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/mirror/app:v1`, { tlsVerify: false }), await digestOf('v1'));
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/mirror/app:v3`, { tlsVerify: false }), await digestOf('v3'));
      assert.equal(await skopeoInspectDigest(`docker://${dest.host}/mirror/app:handmade`, { tlsVerify: false }), (await store.image('team/tools', '1.0')).top.digest);

      // Run again: nothing more to delete.
      const again = await pruneSync(work, 'again', `${source.host}/team/app`, `${dest.host}/mirror`);
      assert.equal(again.run.code, 0, explain(again.run));
      assert.deepEqual(again.report?.prune?.deletions, []);
    });

    test('a tag that shares its manifest with a tag that stays is kept, saying why', async () => {
      // By hand: another tag naming v3's manifest. Deleting v3 (by digest, as the API does) would delete it too.
      await skopeoCopy(`docker://${dest.host}/mirror/app:v3`, `docker://${dest.host}/mirror/app:pinned`, ['--preserve-digests'], { src: { tlsVerify: false }, dest: { tlsVerify: false } });
      await deleteUpstream(source.host, 'team/app', 'v3');
      const run = await pruneSync(work, 'shared', `${source.host}/team/app`, `${dest.host}/mirror`);
      assert.equal(run.run.code, 0, explain(run.run));
      assert.match(run.run.stderr, /kept docker:\/\/.*mirror\/app:v3 .*tag pinned names the same manifest/);
      assert.ok(await exists(`docker://${dest.host}/mirror/app:v3`));
      assert.ok(await exists(`docker://${dest.host}/mirror/app:pinned`));
      assert.equal(run.report?.prune?.kept, 1);
    });

    test('--state FILE keeps the state on disk and writes nothing into the registry', async () => {
      const state = join(work, 'state.json');
      const r = await pruneSync(work, 'state-file', `${source.host}/team/tools`, `${dest.host}/filed`, ['--state', state]);
      assert.equal(r.run.code, 0, explain(r.run));
      assert.deepEqual(await tags(dest.url, 'filed/tools'), ['1.0']);
      const saved = JSON.parse(await readFile(state, 'utf8')) as { destinations: Record<string, Record<string, { digest: string; owner: string }>> };
      assert.deepEqual(saved.destinations[`docker://${dest.host}/filed/tools`], { '1.0': { digest: (await store.image('team/tools', '1.0')).top.digest, owner: `${source.host}/team/tools` } });
    });

    test('a mirror of the mirror does not copy the prune state', async () => {
      const r = await syncWithReport(work, 'mirror-of-mirror', ['--src', 'docker', '--dest', 'docker', ...PLAIN, `${dest.host}/mirror/app`, `${dest.host}/second`]);
      assert.equal(r.run.code, 0, explain(r.run));
      assert.equal((await tags(dest.url, 'second/app')).includes('_ferry-state'), false);
    });
  });

  describe('safety', () => {
    let source: RunningRegistry;
    let dest: RunningRegistry;
    before(async () => {
      [source, dest] = await Promise.all([startRegistry(), startRegistry()]);
      await seed(store, source.host, [['team/app', 'v1'], ['team/app', 'v2'], ['team/app', 'v3'], ['team/app', 'v4'], ['team/app', 'v5']]);
      const first = await pruneSync(work, 'safety-first', `${source.host}/team/app`, `${dest.host}/m`);
      assert.equal(first.run.code, 0, explain(first.run));
    });
    after(() => Promise.all([source?.stop(), dest?.stop()]));

    test('--max-delete stops a mass deletion before anything is deleted, and says why', async () => {
      for (const tag of ['v2', 'v3', 'v4']) await deleteUpstream(source.host, 'team/app', tag);
      const r = await pruneSync(work, 'limit', `${source.host}/team/app`, `${dest.host}/m`, ['--max-delete', '2']);
      assert.equal(r.run.code, 1, explain(r.run));
      assert.match(r.run.stderr, /3 tags are due for deletion, more than --max-delete 2: nothing was deleted/);
      for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) assert.ok(await exists(`docker://${dest.host}/m/app:${tag}`), `${tag} is still there`);
      assert.equal(r.report?.prune?.notRun, 3);
    });

    test('a source outage (registry stopped) deletes nothing, with or without --keep-going', async () => {
      await source.stop();
      const plain = await pruneSync(work, 'outage', `${source.host}/team/app`, `${dest.host}/m`, ['--retry-times', '0']);
      assert.notEqual(plain.run.code, 0, explain(plain.run));
      const going = await pruneSync(work, 'outage-kg', `${source.host}/team/app`, `${dest.host}/m`, ['--retry-times', '0', '--keep-going']);
      assert.notEqual(going.run.code, 0, explain(going.run));
      assert.match(going.run.stderr, /not pruning: a rule could not be listed/);
      for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5']) assert.ok(await exists(`docker://${dest.host}/m/app:${tag}`), `${tag} is still there`);
    });
  });

  test('an upstream repository whose listing comes back empty deletes nothing', { skip }, async () => {
    const [source, dest] = await Promise.all([startRegistry(), startRegistry()]);
    try {
      await seed(store, source.host, [['team/app', 'v1']]);
      assert.equal((await pruneSync(work, 'empty-first', `${source.host}/team/app`, `${dest.host}/e`)).run.code, 0);
      await deleteUpstream(source.host, 'team/app', 'v1');
      const r = await pruneSync(work, 'empty', `${source.host}/team/app`, `${dest.host}/e`);
      assert.equal(r.run.code, 0, explain(r.run));
      assert.ok(await exists(`docker://${dest.host}/e/app:v1`));
    } finally {
      await Promise.all([source.stop(), dest.stop()]);
    }
  });

  test('a registry that refuses DELETE: a clear message per tag, exit 1, nothing lost from the state', { skip }, async () => {
    const [source, dest] = await Promise.all([startRegistry(), startRegistry({ config: { storage: { delete: { enabled: false } } } })]);
    try {
      await seed(store, source.host, [['team/app', 'v1'], ['team/app', 'v2'], ['team/app', 'v3']]);
      assert.equal((await pruneSync(work, 'refuse-first', `${source.host}/team/app`, `${dest.host}/r`)).run.code, 0);
      await deleteUpstream(source.host, 'team/app', 'v2');
      await deleteUpstream(source.host, 'team/app', 'v3');
      const r = await pruneSync(work, 'refuse', `${source.host}/team/app`, `${dest.host}/r`);
      assert.equal(r.run.code, 1, explain(r.run));
      for (const tag of ['v2', 'v3']) {
        assert.match(r.run.stderr, new RegExp(`cannot delete docker://[^ ]*/r/app:${tag} \\(digest sha256:[0-9a-f]{64}\\): the registry refuses to delete .*storage\\.delete\\.enabled`));
      }
      assert.equal(r.report?.prune?.failed, 2);
      // Still recorded: the next run tries again.
      const again = await pruneSync(work, 'refuse-again', `${source.host}/team/app`, `${dest.host}/r`, ['--dry-run']);
      assert.equal(again.report?.prune?.planned, 2, explain(again.run));
    } finally {
      await Promise.all([source.stop(), dest.stop()]);
    }
  });

  test('an OCI layout: the tag leaves index.json, ferry gc reclaims its blobs, the other images stay readable', { skip }, async () => {
    const source = await startRegistry();
    const layout = join(work, 'layout');
    try {
      await seed(store, source.host, [['team/app', 'v1'], ['team/app', 'v2']]);
      const args = (name: string) => syncWithReport(work, name, ['--src', 'docker', '--dest', 'oci', ...PLAIN, `${source.host}/team/app`, layout, '--prune']);
      assert.equal((await args('oci-first')).run.code, 0);
      await deleteUpstream(source.host, 'team/app', 'v2');
      const r = await args('oci-prune');
      assert.equal(r.run.code, 0, explain(r.run));
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ annotations?: Record<string, string> }> };
      assert.deepEqual(index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name']), ['app:v1']);
      assert.equal(await skopeoInspectDigest(`oci:${layout}:app:v1`), await digestOf('v1'));
      assert.equal((await runSkopeo(['inspect', '--raw', `oci:${layout}:app:v2`])).code === 0, false);
      const v2 = await store.image('team/app', 'v2');
      const ownLayer = v2.top.digest;
      const gc = await runFerry(['gc', '--grace', '0', layout]);
      assert.equal(gc.code, 0, explain(gc));
      assert.equal((await runFerry(['verify', layout])).code, 0);
      await assert.rejects(readFile(join(layout, 'blobs', 'sha256', ownLayer.slice('sha256:'.length))), 'the pruned manifest blob is reclaimed');
    } finally {
      await source.stop();
    }
  });
});
