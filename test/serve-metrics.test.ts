import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { requirePeer } from './helpers/peers.ts';
import { startServeProcess } from './helpers/ferry-serve.ts';
import { waitUntil } from './helpers/poll.ts';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.ts';
import { skopeoCopy } from './helpers/skopeo.ts';
import { tempDir } from './helpers/tmp.ts';
import { writeHtpasswd } from './helpers/registry.ts';
import { makeImage } from './fixtures/layout-image.ts';
import { layoutWithImage } from './fixtures/server.ts';

/**
 * `ferry serve --metrics` as a process, skopeo pushing and pulling through
 * it: the scrape parses as Prometheus text (parse-prometheus-text-format,
 * an independent reader), its request counts agree with the access log, the
 * bytes served are the bytes skopeo pulled, and `/metrics` sits behind
 * `--htpasswd` like every other path.
 */

const skip = requirePeer('skopeo');
const plain = { src: { tlsVerify: false }, dest: { tlsVerify: false } };

test('serve --metrics: request counts match the access log, bytes served match what skopeo pulled, latencies are histograms', { skip }, async (t) => {
  const serve = await startServeProcess(t, ['--metrics']);
  const src = await tempDir('serve-metrics-src', t);
  const image = await makeImage({ seed: 'metrics', layers: 2, layerBytes: 70_000 });
  await layoutWithImage(src, 'x', '1', image);
  await skopeoCopy(`oci:${src}:x:1`, `docker://${serve.host}/ns/app:1`, [], plain);
  await skopeoCopy(`docker://${serve.host}/ns/app:1`, `dir:${join(src, 'pulled')}`, [], plain);

  // A request is counted when its response closes, as its access-log line is written: wait for the last one.
  for (let i = 0; i < 100 && (serve.stderr().match(/"method":"GET","path":"\/v2\/ns\/app\/blobs\//g) ?? []).length < image.blobs.length; i++) await sleep(50);
  const res = await request(`${serve.url}/metrics`);
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  const families = parsePrometheusText(await res.body.text());

  const log = serve.stderr().split('\n').filter((l) => l.includes('"type":"request"')).map((l) => JSON.parse(l) as { method: string; path: string; status: number; bytes: number; complete?: boolean });
  const logged = (method: string, pattern: RegExp, status: number) => log.filter((e) => e.method === method && pattern.test(e.path) && e.status === status).length;
  const blobGets = logged('GET', /\/blobs\/sha256:/, 200);
  assert.equal(blobGets, image.blobs.length, 'skopeo pulled each blob once');
  assert.equal(sampleValue(families, 'ferry_serve_requests_total', { method: 'GET', route: 'blob', status: '200' }), blobGets);
  assert.equal(sampleValue(families, 'ferry_serve_requests_total', { method: 'PUT', route: 'manifest', status: '201' }), logged('PUT', /\/manifests\//, 201));
  const pulledBytes = image.blobs.reduce((n, b) => n + b.descriptor.size, 0);
  const blobAnswers = log.filter((e) => e.method === 'GET' && /\/blobs\/sha256:/.test(e.path) && e.status === 200);
  assert.equal(blobAnswers.reduce((n, e) => n + e.bytes, 0), pulledBytes, 'the answers carried what skopeo pulled');
  // Only responses known to be whole count. skopeo exits the moment it has its last bytes, so the answers that
  // finished last (several: it pulls blobs at once) may close before the server's last write is acknowledged;
  // those are logged as cut short (complete: false) and not counted.
  const whole = blobAnswers.filter((e) => e.complete !== false);
  const servedBytes = sampleValue(families, 'ferry_serve_response_bytes_total', { method: 'GET', route: 'blob' }) ?? 0;
  assert.equal(servedBytes, whole.reduce((n, e) => n + e.bytes, 0));

  // A client that stays connected (no race at its end): the counter grows by exactly the blob it read.
  const blob = image.blobs[0]!.descriptor;
  const lines = (): number => (serve.stderr().match(/"method":"GET","path":"\/v2\/ns\/app\/blobs\//g) ?? []).length;
  const before = lines();
  const got = await request(`${serve.url}/v2/ns/app/blobs/${blob.digest}`);
  assert.equal(got.statusCode, 200);
  assert.equal((await got.body.bytes()).byteLength, blob.size);
  await waitUntil('the access-log line of the extra GET blob', () => (lines() > before ? true : undefined));
  const after = parsePrometheusText(await (await request(`${serve.url}/metrics`)).body.text());
  assert.equal(sampleValue(after, 'ferry_serve_response_bytes_total', { method: 'GET', route: 'blob' }), servedBytes + blob.size, 'a whole answer is counted');
  assert.equal(families.get('ferry_serve_request_duration_seconds')?.type, 'histogram');
  assert.equal(sampleValue(families, 'ferry_serve_request_duration_seconds_count', { method: 'GET', route: 'blob' }), blobGets);
  assert.ok(families.has('ferry_process_resident_memory_bytes'), 'process metrics too');
});

test('serve --metrics with --htpasswd: /metrics needs the credentials too', { skip: requirePeer('htpasswd') }, async (t) => {
  const dir = await tempDir('serve-metrics-auth', t);
  const htpasswd = join(dir, 'htpasswd');
  await writeHtpasswd(htpasswd, { scraper: 'scrape-secret' });
  const serve = await startServeProcess(t, ['--metrics', '--htpasswd', htpasswd]);
  assert.equal((await request(`${serve.url}/metrics`)).statusCode, 401);
  const ok = await request(`${serve.url}/metrics`, { headers: { authorization: `Basic ${Buffer.from('scraper:scrape-secret').toString('base64')}` } });
  assert.equal(ok.statusCode, 200);
  assert.match(await ok.body.text(), /ferry_serve_requests_total\{method="GET",route="metrics",status="401"\} 1/);
});

test('serve without --metrics: /metrics is not served', async (t) => {
  const serve = await startServeProcess(t, ['--ui=false']);
  assert.equal((await request(`${serve.url}/metrics`)).statusCode, 404);
});
