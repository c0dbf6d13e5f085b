import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { syntheticStore, type SyntheticImageSpec } from '../src/testing/synthetic.ts';
import { retryEvents, spawnFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';
import { assertDigests, contents, file, image, seedAll, syncOk } from './fixtures/sync.ts';

/**
 * The sync engine through the CLI, with a counting / fault-injecting proxy in
 * front of real registries: a shared base crosses to a destination registry
 * once and is mounted into the other repositories; an up-to-date destination
 * is checked with HEAD only; a killed run re-runs to completion; 429 with
 * Retry-After and 503 answers are retried.
 */

const skip = requirePeer('docker-registry', 'skopeo');

const BASE_SIZE = 512 * 1024;
const OWN = 8 * 1024;
const BASE = [{ size: BASE_SIZE, seed: 'engine-base' }];
/** 6 images in 3 repositories, all on one base. */
const SHARED: SyntheticImageSpec[] = ['one', 'two', 'three'].flatMap((repo) => ['v1', 'v2'].map((tag) => image(`shared/${repo}`, tag, { layers: [OWN], sharedLayers: BASE })));
/** 8 images with a layer each, for the interrupted run. */
const SLOW: SyntheticImageSpec[] = ['a', 'b', 'c', 'd'].flatMap((repo) => ['1', '2'].map((tag) => image(`slow/${repo}`, tag, { layers: [64 * 1024] })));
const FLAKY: SyntheticImageSpec[] = [image('flaky/app', 'v1', { layers: [64 * 1024] }), image('flaky/app', 'v2', { layers: [64 * 1024] })];
const store = syntheticStore([...SHARED, ...SLOW, ...FLAKY]);
/** Longer than any backoff of the first two retries (at most 0.5 s and 1 s), so a delay this long can only come from the header. */
const RETRY_AFTER_S = 2;

async function digests(specs: readonly SyntheticImageSpec[], rename: (name: string) => string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const s of specs) out[`${rename(s.name)}:${s.tag}`] = (await store.image(s.name, s.tag)).top.digest;
  return out;
}

async function blobStatus(registryUrl: string, repo: string, digest: string): Promise<number> {
  const res = await request(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await res.body.dump();
  return res.statusCode;
}

/** Starts `ferry ARGS…`, waits until `moment` resolves, then SIGKILLs it. Returns what it printed. */
async function killWhen(args: string[], moment: Promise<void>): Promise<string> {
  const ferry = await spawnFerry(args);
  const early = await Promise.race([moment.then(() => false), ferry.exited.then(() => true)]);
  assert.ok(!early, `ferry exited before the kill:\n${ferry.stderr()}`);
  ferry.child.kill('SIGKILL');
  assert.equal((await ferry.exited).signal, 'SIGKILL');
  return ferry.stderr();
}

describe('ferry sync engine', { skip }, () => {
  let source: RunningRegistry;
  let work: string;
  let srcProxy: RunningProxy;

  before(async () => {
    [source, work] = await Promise.all([startRegistry(), tempDir('ferry-sync-engine')]);
    srcProxy = await startProxy({ upstream: source.url });
    await seedAll(store, source.host, [...SHARED, ...SLOW, ...FLAKY]);
  });

  after(async () => {
    await srcProxy?.stop();
    await source?.stop();
    if (work) await removeTempDir(work);
  });

  describe('a shared base into an empty registry, then a no-op re-run', () => {
    let dest: RunningRegistry;
    let dstProxy: RunningProxy;
    let config: string;
    /** The first run, made here rather than by the first test, so each test can run (and fail) alone. */
    let first: Awaited<ReturnType<typeof syncOk>>;
    let firstUploaded: number;
    let firstMounts: RunningProxy['stats']['log'];
    let firstSourceRequests: Record<string, number>;

    before(async () => {
      dest = await startRegistry();
      dstProxy = await startProxy({ upstream: dest.url });
      config = await file(
        work,
        'shared.yaml',
        `registries:
  "${srcProxy.host}": {tls-verify: false}
  "${dstProxy.host}": {tls-verify: false}
sync:
  - from: {registry: "${srcProxy.host}", repositories: ["shared/*"]}
    to: "${dstProxy.host}"
`,
      );
      srcProxy.reset();
      first = await syncOk(work, 'shared-1', ['--config', config]);
      firstSourceRequests = { ...srcProxy.stats.requests };
      firstUploaded = dstProxy.uploadedBytes();
      firstMounts = dstProxy.stats.log.filter((e) => e.method === 'POST' && e.kind === 'upload' && decodeURIComponent(e.path).includes('mount='));
    });

    after(async () => {
      await dstProxy?.stop();
      await dest?.stop();
    });

    test('the base layer is uploaded exactly once; the other repositories mount it', async () => {
      const { report } = first;
      assert.equal(report.totals.copied, 6);
      await assertDigests(dest.host, await digests(SHARED, (n) => n));

      // Unique blobs: the base, 6 own layers, 6 configs.
      const unique = new Map<string, number>();
      for (const s of SHARED) for (const [d, b] of (await store.image(s.name, s.tag)).blobs) unique.set(d, b.kind === 'config' ? b.bytes.length : b.layer.size);
      const uniqueBytes = [...unique.values()].reduce((a, b) => a + b, 0);
      assert.equal(firstUploaded, uniqueBytes, `uploaded ${firstUploaded} bytes for ${uniqueBytes} unique (a second base would add ${BASE_SIZE})`);
      assert.equal(report.totals.bytes, uniqueBytes, 'the report counts the same bytes');

      const base = (await store.image('shared/one', 'v1')).images[0]!.layers[0]!.digest;
      const mounts = firstMounts.filter((e) => decodeURIComponent(e.path).includes(`mount=${base}`));
      const mounted = new Set(mounts.filter((e) => e.status === 201).map((e) => /\/v2\/(.+)\/blobs\/uploads/.exec(e.path)?.[1]));
      assert.equal(mounted.size, 2, `two repositories got the base by mount: ${JSON.stringify(mounts)}`);
      assert.equal(mounts.length, 2, `each mounts it once, though both its tags need it: ${JSON.stringify(mounts)}`);
      // The source is asked for attachments (.sig, .att, .sbom, the referrers tag) through its tag listings, not a HEAD
      // per kind and image: the only manifest HEADs are planning's, one per image.
      assert.equal(firstSourceRequests['HEAD manifest'], 6, JSON.stringify(firstSourceRequests));
      for (const repo of ['shared/one', 'shared/two', 'shared/three']) assert.equal(await blobStatus(dest.url, repo, base), 200, `${repo} has the base`);
    });

    test('a second run over the up-to-date destination uses HEAD only: no manifest GET, no upload, all skipped', async () => {
      dstProxy.reset();
      srcProxy.reset();
      const { report, run } = await syncOk(work, 'shared-2', ['--config', config]);
      assert.equal(report.totals.skipped, 6, run.stderr);
      assert.equal(report.totals.copied, 0);
      assert.ok(report.images.every((i) => i.status === 'skipped' && i.bytes === 0));
      assert.equal(dstProxy.count('GET manifest'), 0, JSON.stringify(dstProxy.stats.requests));
      assert.equal(dstProxy.count('HEAD manifest'), 6, JSON.stringify(dstProxy.stats.requests));
      assert.equal(dstProxy.uploadedBytes(), 0);
      for (const key of Object.keys(dstProxy.stats.requests)) assert.doesNotMatch(key, /^(POST|PATCH|PUT) /, `no writes: ${key}`);
      assert.match(run.stderr, /6 already up to date/);
      // Nor is the source pulled: registries such as Docker Hub count manifest GETs against a rate limit.
      assert.equal(srcProxy.count('GET manifest'), 0, JSON.stringify(srcProxy.stats.requests));
      assert.equal(srcProxy.count('GET blob'), 0);
      assert.equal(srcProxy.count('HEAD manifest'), 6);
    });
  });

  test('a run killed after its first image re-runs to completion; every destination matches its source', async () => {
    const dest = await startRegistry();
    try {
      const mapping = await file(work, 'slow.txt', SLOW.map((s) => `${srcProxy.host}/${s.name}:${s.tag} ${dest.host}/${s.name}`).join('\n'));
      // One image at a time, and the source holds every blob after the first repository's until the kill:
      // the kill lands after slow/a's images, with the rest of the plan still to do.
      srcProxy.reset();
      const held = srcProxy.addGate({ match: { method: 'GET', kind: 'blob', path: /^\/v2\/slow\/[b-d]\// } });
      const args = ['sync', '--mapping', mapping, '--src-tls-verify=false', '--dest-tls-verify=false', '--jobs', '1'];
      const printed = await killWhen(args, held.reached);
      const partial = await contents(dest.url);
      assert.deepEqual(partial, ['slow/a:1', 'slow/a:2'], `killed after slow/a, in plan order:\n${printed}`);
      // What a killed run leaves is whole: every tag it wrote reads back with the source digest.
      const expected = await digests(SLOW, (n) => n);
      await assertDigests(dest.host, Object.fromEntries(partial.map((n) => [n, expected[n]!])));

      srcProxy.reset();
      const { report } = await syncOk(work, 'slow-rerun', [...args.slice(1)]);
      assert.equal(report.totals.failed, 0);
      assert.equal(report.totals.skipped, partial.length, 'images finished before the kill are skipped');
      assert.equal(report.totals.copied, SLOW.length - partial.length);
      assert.deepEqual(await contents(dest.url), Object.keys(expected).sort());
      await assertDigests(dest.host, expected);
    } finally {
      srcProxy.reset();
      await dest.stop();
    }
  });

  test('a source answering 429 with Retry-After and 503s is retried and the sync succeeds', async () => {
    const dest = await startRegistry();
    try {
      srcProxy.reset();
      const faults = [
        srcProxy.addFault({ type: 'status', status: 429, retryAfter: String(RETRY_AFTER_S), times: 1, match: { kind: 'tags' } }),
        srcProxy.addFault({ type: 'status', status: 503, times: 2, match: { method: 'HEAD', kind: 'manifest' } }),
        srcProxy.addFault({ type: 'status', status: 429, retryAfter: String(RETRY_AFTER_S), times: 1, match: { method: 'GET', kind: 'manifest' } }),
        srcProxy.addFault({ type: 'status', status: 503, times: 2, match: { method: 'GET', kind: 'blob' } }),
      ];
      const { report, run } = await syncOk(work, 'flaky', ['--json', '--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', `${srcProxy.host}/flaky/app`, `${dest.host}/flaky`]);
      for (const f of faults) assert.equal(f.hits, f.rule.times, `fault ${JSON.stringify(f.rule)} was hit`);
      assert.equal(report.totals.copied, 2);
      const retries = retryEvents(run.stdout);
      assert.equal(retries.length, 6, `one retry event per injected fault: ${JSON.stringify(retries)}`);
      // Each 429 asked for RETRY_AFTER_S; a first retry's own backoff is at most half a second, so only an honoured header waits this long.
      const throttled = retries.filter((r) => /429|TOOMANYREQUESTS/.test(r.reason));
      assert.equal(throttled.length, 2, JSON.stringify(retries));
      for (const r of throttled) assert.ok(r.attempt === 1 && r.delayMs >= RETRY_AFTER_S * 1000, `Retry-After honoured: ${JSON.stringify(r)}`);
      for (const r of retries.filter((x) => /503|UNAVAILABLE/.test(x.reason))) assert.ok(r.delayMs < RETRY_AFTER_S * 1000, `plain backoff for a 503: ${JSON.stringify(r)}`);
      await assertDigests(dest.host, await digests(FLAKY, (n) => n));
    } finally {
      srcProxy.reset();
      await dest.stop();
    }
  });

  test('an image that still fails after the request retries is tried again in a final pass', async () => {
    const dest = await startRegistry();
    try {
      srcProxy.reset();
      const fault = srcProxy.addFault({ type: 'status', status: 503, times: 1, match: { method: 'GET', kind: 'blob' } });
      const { report, run } = await syncOk(work, 'final-pass', ['--src', 'docker', '--dest', 'docker', '--src-tls-verify=false', '--dest-tls-verify=false', '--retry-times', '0', `${srcProxy.host}/flaky/app:v1`, `${dest.host}/fp`]);
      assert.equal(fault.hits, 1);
      assert.match(run.stderr, /retry pass 1 of 1: retrying 1 failed image\b/);
      assert.equal(report.totals.copied, 1);
      assert.equal(report.totals.failed, 0);
      await assertDigests(dest.host, { 'fp/app:v1': (await store.image('flaky/app', 'v1')).top.digest });
    } finally {
      srcProxy.reset();
      await dest.stop();
    }
  });
});
