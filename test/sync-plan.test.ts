import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { formatBytes } from '../src/cli/progress.ts';
import { explain } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { skopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { shardOf } from '../src/sync/select/shard.ts';
import { assertDigests, contents, file, image, seed, seedAll, syncOk, type Report } from './fixtures/sync.ts';

/**
 * The plan as a whole: `--shard I/N` runs that together copy exactly the plan
 * of an unsharded dry run, `--dry-run` output (copy/skip lines, per-destination
 * blob counts and bytes) with nothing written, and the `--report` shape.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const BASE = [{ size: 16 * 1024, seed: 'plan-base' }];
const OWN = 4 * 1024;
const REPOS = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const SPECS: SyntheticImageSpec[] = REPOS.flatMap((r) => ['1', '2'].map((tag) => image(`shard/${r}`, tag, { layers: [OWN], sharedLayers: BASE })));
const store = syntheticStore(SPECS);
const SHARDS = 3;

describe('ferry sync plans: shards, dry runs, reports', { skip }, () => {
  let source: RunningRegistry;
  let work: string;
  /** `sh/NAME` → the store's `shard/rK` it holds, chosen so that every shard gets repositories. */
  const sharded = new Map<string, string>();

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-plan')]);
    await seedAll(store, source.host, SPECS);
    // Shards hash `registry/repository`, and the registry's port changes every run: pick names
    // that put at least two repositories in each shard, so no shard is trivially empty.
    const perShard = Array.from({ length: SHARDS }, () => 0);
    for (let i = 0; sharded.size < REPOS.length && i < 10_000; i++) {
      const shard = shardOf(`${source.host}/sh/n${i}`, SHARDS);
      if (perShard[shard]! >= Math.ceil(REPOS.length / SHARDS)) continue;
      perShard[shard]!++;
      sharded.set(`sh/n${i}`, `shard/${REPOS[sharded.size]}`);
    }
    await seed(store, source.host, [...sharded].flatMap(([as, name]) => ['1', '2'].map((tag) => [name, tag, as] as [string, string, string])));
  });

  after(async () => {
    await source?.stop();
    if (work) await removeTempDir(work);
  });

  async function configFor(name: string, destHost: string, pattern: string): Promise<string> {
    return file(
      work,
      `${name}.yaml`,
      `registries:
  "${source.host}": {tls-verify: false}
  "${destHost}": {tls-verify: false}
sync:
  - from: {registry: "${source.host}", repositories: ["${pattern}"]}
    to: "${destHost}"
`,
    );
  }

  test('--shard 0/3, 1/3, 2/3 together copy exactly the unsharded plan, without overlap; reports have the documented shape', async () => {
    const dest = await startRegistry();
    try {
      const config = await configFor('shards', dest.host, 'sh/*');
      const { report: whole } = await syncOk(work, 'whole-dry', ['--config', config, '--dry-run']);
      assert.equal(whole.images.length, SPECS.length);
      assert.ok(whole.images.every((i) => i.status === 'planned'), 'a dry run reports what it would copy as planned, never as copied');
      assert.equal(whole.dryRun, true);
      assert.deepEqual(await contents(dest.url), [], 'a dry run writes nothing');

      const runs = await Promise.all(
        Array.from({ length: SHARDS }, (_, i) => syncOk(work, `shard-${i}`, ['--config', config, '--shard', `${i}/${SHARDS}`, '--digestfile', join(work, `digests-${i}.txt`)])),
      );
      const pairs = (r: Report): string[] => r.images.map((i) => `${i.source} → ${i.destination}`);
      const union = runs.flatMap((r) => pairs(r.report));
      assert.equal(new Set(union).size, union.length, 'no image is in two shards');
      assert.deepEqual([...union].sort(), pairs(whole).sort(), 'the shards together are the whole plan');
      const repoSets = runs.map((r) => new Set(r.report.images.map((i) => /sh\/n\d+/.exec(i.source)?.[0])));
      for (const [i, set] of repoSets.entries()) {
        assert.ok(set.size >= 2, `shard ${i} has its repositories (the names are chosen so each does)`);
        for (const [j, other] of repoSets.entries()) if (i !== j) for (const repo of set) assert.ok(!other.has(repo), `${repo} is split between shards ${i} and ${j}`);
      }
      assert.deepEqual(await contents(dest.url), [...sharded.keys()].flatMap((n) => [`${n}:1`, `${n}:2`]).sort());

      // The report: version, times, one entry per image with its digest, status and bytes; totals that add up.
      for (const { report } of runs) {
        assert.equal(report.version, 1);
        assert.ok(!Number.isNaN(Date.parse(report.started)) && Date.parse(report.finished) >= Date.parse(report.started));
        for (const entry of report.images) {
          assert.deepEqual(Object.keys(entry).sort(), ['bytes', 'destination', 'digest', 'source', 'status']);
          assert.equal(entry.status, 'copied');
          const [, name, tag] = /\/(sh\/n\d+):(\d)$/.exec(entry.destination)!;
          assert.equal(entry.digest, (await store.image(sharded.get(name!)!, tag!)).top.digest);
          assert.ok(entry.bytes > OWN, 'own layer and config at least');
        }
        const t = report.totals;
        assert.deepEqual(t, {
          images: report.images.length,
          copied: report.images.length,
          skipped: 0,
          failed: 0,
          planned: 0,
          notRun: 0,
          bytes: report.images.reduce((n, i) => n + i.bytes, 0),
        });
      }
      const digestLines = (await Promise.all(runs.map((_, i) => readFile(join(work, `digests-${i}.txt`), 'utf8')))).join('').trim().split('\n');
      assert.equal(digestLines.length, SPECS.length);
      for (const line of digestLines) assert.match(line, new RegExp(`^sha256:[0-9a-f]{64} docker://${dest.host}/sh/n\\d+:\\d$`));
      const [first, last] = [[...sharded][0]!, [...sharded].at(-1)!];
      await assertDigests(dest.host, { [`${first[0]}:2`]: (await store.image(first[1], '2')).top.digest, [`${last[0]}:1`]: (await store.image(last[1], '1')).top.digest });
    } finally {
      await dest.stop();
    }
  });

  test('--dry-run prints copy and skip lines and per-destination blob counts and bytes, and writes nothing', async () => {
    const dest = await startRegistry();
    let proxy: RunningProxy | undefined;
    try {
      proxy = await startProxy({ upstream: dest.url });
      // r0 is already there; the rest is to do.
      const r0 = await file(work, 'r0.txt', `${source.host}/shard/r0:1 ${proxy.host}/shard/r0\n${source.host}/shard/r0:2 ${proxy.host}/shard/r0\n`);
      await syncOk(work, 'r0', ['--mapping', r0, '--src-tls-verify=false', '--dest-tls-verify=false']);
      const before = await contents(dest.url);
      proxy.reset();

      const config = await configFor('dry', proxy.host, 'shard/*');
      const { run } = await syncOk(work, 'dry', ['--config', config, '--dry-run']);
      const lines = run.stdout.trim().split('\n');
      const copyLines = lines.filter((l) => l.startsWith('copy '));
      const skipLines = lines.filter((l) => l.startsWith('skip '));
      assert.equal(copyLines.length, 14, run.stdout);
      assert.deepEqual(skipLines.sort(), [1, 2].map((t) => `skip docker://${source.host}/shard/r0:${t} → docker://${proxy!.host}/shard/r0:${t}`));
      assert.ok(copyLines.every((l) => /^copy docker:\/\/\S+\/shard\/r[1-7]:[12] → docker:\/\/\S+\/shard\/r[1-7]:[12]$/.test(l)), run.stdout);

      // Own layers and configs of 14 images; the base once (it is not in r1 yet), then counted as present for r2…r7.
      let ownBytes = 0;
      let blobs = 0;
      for (const s of SPECS.filter((x) => x.name !== 'shard/r0')) {
        const built = await store.image(s.name, s.tag);
        ownBytes += built.images[0]!.config.size + OWN;
        blobs += 2;
      }
      const baseSize = BASE[0]!.size;
      const summary = `docker://${proxy.host}: 14 images to copy, 2 to skip; ${blobs + 1} blobs (${formatBytes(ownBytes + baseSize)}) to transfer, 6 (${formatBytes(6 * baseSize)}) already there`;
      assert.ok(lines.some((l) => l.includes(summary)), `expected "${summary}" in\n${run.stdout}`);

      for (const key of Object.keys(proxy.stats.requests)) assert.doesNotMatch(key, /^(POST|PATCH|PUT|DELETE) /, `a dry run writes nothing: ${key}`);
      assert.equal(proxy.count('GET manifest'), 0, 'destinations are asked with HEAD');
      assert.deepEqual(await contents(dest.url), before);
      assert.match(run.stderr, /Plan: 16 images: 14 to copy, 2 already up to date/, explain(run));
    } finally {
      await proxy?.stop();
      await dest.stop();
    }
  });

  test('a source repository listed to pick its tags is not listed again to find attachments, and the listing finds them', async () => {
    const dest = await startRegistry();
    const proxy = await startProxy({ upstream: source.url });
    try {
      // listed/app:1 has a cosign-style attachment tag the regex does not select: only the shared listing can find it.
      await seed(store, source.host, [['shard/r1', '1', 'listed/app'], ['shard/r1', '2', 'listed/app']]);
      const subject = await skopeoInspectDigest(`docker://${source.host}/listed/app:1`, { tlsVerify: false });
      const sigTag = `sha256-${subject.slice(7)}.sig`;
      await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${source.host}/shard/r0:1`, `docker://${source.host}/listed/app:${sigTag}`]);
      proxy.reset();
      const yaml = await file(work, 'regex.yaml', `${proxy.host}:\n  tls-verify: false\n  images-by-tag-regex:\n    listed/app: '^[12]$'\n`);
      const { report } = await syncOk(work, 'regex', ['--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', yaml, `${dest.host}/listed`]);
      assert.deepEqual(report.images.map((i) => i.status), ['copied', 'copied']);
      assert.equal(proxy.count('GET tags'), 1, JSON.stringify(proxy.stats.requests));
      const there = report.images.find((i) => i.destination.endsWith(':1'))!.destination.replace(/:1$/, '');
      assert.equal(
        await skopeoInspectDigest(`${there}:${sigTag}`, { tlsVerify: false }),
        await skopeoInspectDigest(`docker://${source.host}/listed/app:${sigTag}`, { tlsVerify: false }),
        'the attachment the listing named went along',
      );
    } finally {
      await proxy.stop();
      await dest.stop();
    }
  });
});
