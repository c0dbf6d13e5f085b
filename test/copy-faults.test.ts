import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { request } from 'undici';
import { copy } from '../src/api/copy.ts';
import { FerryError } from '../src/errors.ts';
import { syntheticStore, type BuiltImage } from '../src/testing/synthetic.ts';
import { explain, retryEvents, runFerry } from './helpers/ferry-cli.ts';
import { startProxy, type RunningProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry, type RunningRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { runSkopeo, skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * The copy engine against a real registry behind a fault-injecting, counting
 * proxy: cross-repository mounts upload nothing, a broken download resumes
 * with Range, corrupt content never gets a manifest, and 429/503 answers are
 * retried (or not, with --retry-times 0).
 */

const skip = requirePeer('docker-registry', 'skopeo');

/** Large enough that a cut after 256 KiB leaves most of it to resume. */
const BIG_LAYER = 2 * 1024 * 1024;
const CUT_AFTER = 256 * 1024;
/** Longer than any backoff of a first retry (at most half a second), so a wait this long can only come from the headers. */
const RESET_S = 2;

const store = syntheticStore([{ name: 'seed/app', tag: 'v1', layers: [BIG_LAYER, 150_000] }]);

async function manifestStatus(registryUrl: string, repo: string, reference: string): Promise<number> {
  const res = await request(`${registryUrl}/v2/${repo}/manifests/${reference}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' },
  });
  await res.body.dump();
  return res.statusCode;
}

async function blobStatus(registryUrl: string, repo: string, digest: string): Promise<number> {
  const res = await request(`${registryUrl}/v2/${repo}/blobs/${digest}`, { method: 'HEAD' });
  await res.body.dump();
  return res.statusCode;
}

describe('copies through faults', { skip }, () => {
  let source: RunningRegistry;
  let dest: RunningRegistry;
  let srcProxy: RunningProxy;
  let dstProxy: RunningProxy;
  let built: BuiltImage;
  let bigLayer: string;
  let work: string;
  const plain = ['--src-tls-verify=false', '--dest-tls-verify=false'];
  const from = (): string => `docker://${srcProxy.host}/seed/app:v1`;
  const to = (repo: string): string => `docker://${dstProxy.host}/${repo}:v1`;

  before(async () => {
    [source, dest, work] = await Promise.all([startRegistry(), startRegistry(), tempDir('ferry-faults')]);
    [srcProxy, dstProxy] = await Promise.all([startProxy({ upstream: source.url }), startProxy({ upstream: dest.url })]);
    built = await store.image('seed/app', 'v1');
    bigLayer = built.images[0]!.layers.find((l) => l.size === BIG_LAYER)!.digest;
    await seedRegistry(source.host, store.repository('seed/app'), ['v1']);
  });

  beforeEach(() => {
    srcProxy.reset();
    dstProxy.reset();
  });

  after(async () => {
    await Promise.all([srcProxy?.stop(), dstProxy?.stop()]);
    await Promise.all([source?.stop(), dest?.stop()]);
    if (work) await removeTempDir(work);
  });

  test('a copy between repositories of one registry mounts every blob and uploads no bytes', async () => {
    const run = await runFerry(['copy', ...plain, from(), `docker://${srcProxy.host}/mounted/app:v1`]);
    assert.equal(run.code, 0, explain(run));
    const blobs = built.blobs.size;
    assert.match(run.stderr, new RegExp(`0 blobs uploaded .* ${blobs} mounted`), run.stderr);
    assert.match(run.stderr, /blob [0-9a-f]{12} mounted/);
    assert.equal(srcProxy.uploadedBytes(), 0, 'no blob bytes were uploaded');
    assert.equal(srcProxy.count('PATCH upload-session') + srcProxy.count('PUT upload-session'), 0);
    assert.equal(srcProxy.downloadedBytes(), 0, 'no blob was downloaded either');
    const mounts = srcProxy.stats.log.filter((e) => e.method === 'POST' && e.kind === 'upload' && e.path.includes('mount='));
    assert.equal(mounts.length, blobs);
    assert.ok(mounts.every((e) => e.status === 201), JSON.stringify(mounts));
    assert.equal(await skopeoInspectDigest(`docker://${source.host}/mounted/app:v1`, { tlsVerify: false }), built.top.digest);
  });

  test('a download cut mid-blob resumes with a Range request and the copy is intact', async () => {
    const cut = srcProxy.addFault({ type: 'cut', afterBytes: CUT_AFTER, match: { method: 'GET', kind: 'blob', path: bigLayer } });
    const run = await runFerry(['copy', ...plain, from(), to('resumed/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(cut.hits, 1);
    const gets = srcProxy.stats.log.filter((e) => e.method === 'GET' && e.path.includes(bigLayer));
    assert.equal(gets.length, 2, JSON.stringify(gets));
    const [broken, resumed] = gets as [(typeof gets)[0], (typeof gets)[0]];
    assert.equal(broken.fault, 'cut');
    assert.ok(broken.bytesOut <= CUT_AFTER);
    // 206 is the registry's answer to a Range request: the follow-up asked for the rest only.
    assert.equal(resumed.status, 206, 'the follow-up GET carried a Range header');
    // Bytes the proxy sent before the cut may still be lost in the socket, so the rest can start a little earlier.
    assert.ok(resumed.bytesOut >= BIG_LAYER - broken.bytesOut && resumed.bytesOut < BIG_LAYER, `only the missing bytes travelled again (${resumed.bytesOut})`);
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/resumed/app:v1`, { tlsVerify: false }), built.top.digest);
    assert.equal(await blobStatus(dest.url, 'resumed/app', bigLayer), 200);
  });

  test('a source blob that does not match its digest fails the copy and no manifest is written', async () => {
    srcProxy.addFault({ type: 'corrupt', offset: 1000, times: Infinity, match: { method: 'GET', kind: 'blob', path: bigLayer } });
    const run = await runFerry(['copy', ...plain, from(), to('corrupt/app')]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /hashes to|digest/i);
    assert.match(run.stderr, new RegExp(bigLayer.slice('sha256:'.length, 'sha256:'.length + 12)));
    assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
    assert.equal(await manifestStatus(dest.url, 'corrupt/app', 'v1'), 404);
    assert.equal(await blobStatus(dest.url, 'corrupt/app', bigLayer), 404, 'the corrupt blob was not committed');
    assert.notEqual((await runSkopeo(['inspect', '--raw', '--tls-verify=false', `docker://${dest.host}/corrupt/app:v1`])).code, 0);

    // The library reports the stable code, and an OCI layout destination gets no entry either.
    const layout = join(work, 'corrupt-layout');
    await assert.rejects(
      copy(from(), `oci:${layout}:app`, { src: { tlsVerify: false } }),
      (err: unknown) => err instanceof FerryError && err.code === 'DIGEST_MISMATCH',
    );
    const index = await readFile(join(layout, 'index.json'), 'utf8').catch(() => '{"manifests":[]}');
    assert.equal((JSON.parse(index) as { manifests: unknown[] }).manifests.length, 0, index);
  });

  test('429 with Retry-After and 503s on reads and uploads are retried and the copy succeeds', async () => {
    const throttled = srcProxy.addFault({ type: 'status', status: 429, retryAfter: '1', match: { method: 'GET', kind: 'manifest' } });
    const blobGet = srcProxy.addFault({ type: 'status', status: 503, times: 2, match: { method: 'GET', kind: 'blob' } });
    const uploadOpen = dstProxy.addFault({ type: 'status', status: 503, match: { method: 'POST', kind: 'upload' } });
    const upload = dstProxy.addFault({ type: 'status', status: 503, match: { method: 'PUT', kind: 'upload-session' } });
    const manifestPut = dstProxy.addFault({ type: 'status', status: 503, match: { method: 'PUT', kind: 'manifest' } });
    const run = await runFerry(['--json', 'copy', ...plain, from(), to('retried/app')]);
    assert.equal(run.code, 0, explain(run));
    for (const f of [throttled, blobGet, uploadOpen, upload, manifestPut]) assert.equal(f.remaining, 0, `fault ${JSON.stringify(f.rule)} was hit`);
    const retries = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event?: string; delayMs?: number; reason?: string })
      .filter((r) => r.event === 'retry');
    assert.ok(retries.length >= 5, `retry events: ${JSON.stringify(retries)}`);
    const rateLimited = retries.find((r) => /429|TOOMANYREQUESTS/.test(r.reason ?? ''));
    assert.ok(rateLimited, 'a retry for the 429');
    assert.ok((rateLimited.delayMs ?? 0) >= 1000, `Retry-After: 1 honoured (waited ${rateLimited.delayMs} ms)`);
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/retried/app:v1`, { tlsVerify: false }), built.top.digest);
  });

  test("a 429 with Docker Hub's RateLimit headers and no Retry-After waits until the reset it names", async () => {
    // Docker Hub's form: the limit and the remaining count with a window, and the reset in seconds.
    const exhausted = srcProxy.addFault({
      type: 'status', status: 429, retryAfter: null, match: { method: 'GET', kind: 'manifest' },
      headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '0;w=21600', 'ratelimit-reset': String(RESET_S) },
    });
    // Remaining requests left: the answer is a plain 429, retried with the ordinary backoff.
    const notExhausted = srcProxy.addFault({
      type: 'status', status: 429, retryAfter: null, match: { method: 'GET', kind: 'blob' },
      headers: { 'x-ratelimit-limit': '100', 'x-ratelimit-remaining': '42', 'x-ratelimit-reset': String(RESET_S) },
    });
    const run = await runFerry(['--json', 'copy', ...plain, from(), to('ratelimited/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(exhausted.hits, 1);
    assert.equal(notExhausted.hits, 1);
    const retries = retryEvents(run.stdout);
    const onManifest = retries.find((r) => /manifests/.test(r.what));
    const onBlob = retries.find((r) => /blobs/.test(r.what));
    assert.ok(onManifest && onManifest.attempt === 1 && onManifest.delayMs >= RESET_S * 1000, `RateLimit-Reset honoured: ${JSON.stringify(retries)}`);
    assert.ok(onBlob && onBlob.delayMs < RESET_S * 1000, `a count not yet exhausted is no reason to wait for the reset: ${JSON.stringify(retries)}`);
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/ratelimited/app:v1`, { tlsVerify: false }), built.top.digest);
  });

  test('a registry that refuses the monolithic upload PUT gets PATCH chunks and a closing PUT', async () => {
    const refused = dstProxy.addFault({ type: 'status', status: 405, match: { method: 'PUT', kind: 'upload-session' } });
    const run = await runFerry(['copy', ...plain, '--jobs', '1', from(), to('chunked/app')]);
    assert.equal(run.code, 0, explain(run));
    assert.equal(refused.hits, 1);
    assert.ok(dstProxy.count('PATCH upload-session') >= 1, 'later uploads went in PATCH chunks');
    assert.equal(await skopeoInspectDigest(`docker://${dest.host}/chunked/app:v1`, { tlsVerify: false }), built.top.digest);
  });

  test('with --retry-times 0 a 503 fails the copy at once', async () => {
    const unavailable = srcProxy.addFault({ type: 'status', status: 503, times: Infinity, match: { method: 'GET', kind: 'manifest' } });
    const run = await runFerry(['copy', ...plain, '--retry-times', '0', from(), to('not-retried/app')]);
    assert.equal(run.code, 1, explain(run));
    assert.match(run.stderr, /503|UNAVAILABLE/);
    assert.equal(unavailable.hits, 1, 'no second attempt');
    assert.equal(await manifestStatus(dest.url, 'not-retried/app', 'v1'), 404);
  });
});
