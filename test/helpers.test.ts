import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { Agent, request } from 'undici';
import { parseManifest } from '../src/oci/manifest.ts';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { writeOciLayout } from './helpers/oci-layout.ts';
import { freePort } from './helpers/ports.ts';
import { parsePrometheusText, sampleValue } from './helpers/prometheus-text.ts';
import { startProxy } from './helpers/proxy.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { redactArgs, runSkopeo, skopeoCopy, skopeoInspectDigest } from './helpers/skopeo.ts';
import { makeCA, makeClientCert, makeServerCert } from './helpers/tls.ts';
import { tempDir } from './helpers/tmp.ts';

const sha256 = (b: Uint8Array): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function get(url: string, options: { dispatcher?: Agent; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const res = await request(url, { ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}), headers: options.headers ?? {} });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

test('freePort gives a bindable port on 127.0.0.1', async () => {
  const port = await freePort();
  assert.ok(port > 0 && port < 65536);
});

test('requirePeer skips outside CI and fails under CI=true', (t) => {
  const saved = process.env['CI'];
  t.after(() => {
    if (saved === undefined) delete process.env['CI'];
    else process.env['CI'] = saved;
  });
  delete process.env['CI'];
  assert.equal(requirePeer('sh'), false);
  assert.match(String(requirePeer('ferry-no-such-peer')), /missing test peer: ferry-no-such-peer/);
  process.env['CI'] = 'true';
  assert.throws(() => requirePeer('ferry-no-such-peer'), /CI=true requires every peer/);
});

test('a plain registry answers /v2/ with 200', { skip: requirePeer('docker-registry') }, async (t) => {
  const registry = await startRegistry({ t });
  assert.match(registry.host, /^127\.0\.0\.1:\d+$/);
  const res = await get(`${registry.url}/v2/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
});

test('a TLS + htpasswd registry demands the CA and the credentials', { skip: requirePeer('docker-registry', 'openssl', 'htpasswd', 'skopeo') }, async (t) => {
  const dir = await tempDir('ferry-tls', t);
  const ca = await makeCA(dir);
  const server = await makeServerCert(ca);
  const registry = await startRegistry({ t, tls: server, htpasswd: { alice: 's3cret-pw' } });
  assert.match(registry.url, /^https:/);
  const trusted = new Agent({ connect: { ca: await readFile(ca.cert) } });
  t.after(() => trusted.close());

  await assert.rejects(get(`${registry.url}/v2/`), /self-signed|unable to verify|UNABLE_TO_VERIFY|SELF_SIGNED/i);
  const anonymous = await get(`${registry.url}/v2/`, { dispatcher: trusted });
  assert.equal(anonymous.status, 401);
  assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm=/);
  const wrong = await get(`${registry.url}/v2/`, { dispatcher: trusted, headers: { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` } });
  assert.equal(wrong.status, 401);
  const ok = await get(`${registry.url}/v2/`, { dispatcher: trusted, headers: { authorization: `Basic ${Buffer.from('alice:s3cret-pw').toString('base64')}` } });
  assert.equal(ok.status, 200);
  // The certificate also names localhost.
  const byName = await get(`https://localhost:${registry.port}/v2/`, { dispatcher: trusted });
  assert.equal(byName.status, 401);

  // skopeo verifies through --cert-dir, and credential values never reach error messages.
  const store = syntheticStore([{ name: 'secure/app', tag: 'v1', layers: [4096] }]);
  await seedRegistry(registry.host, store.repository('secure/app'), ['v1'], { dest: { certDir: ca.certDir, creds: 'alice:s3cret-pw' } });
  const digest = await skopeoInspectDigest(`docker://${registry.host}/secure/app:v1`, { certDir: ca.certDir, creds: 'alice:s3cret-pw' });
  assert.equal(digest, (await store.image('secure/app', 'v1')).top.digest);
  const denied = await runSkopeo(['inspect', '--raw', `--cert-dir=${ca.certDir}`, `docker://${registry.host}/secure/app:v1`]);
  assert.notEqual(denied.code, 0);
  await assert.rejects(skopeoInspectDigest(`docker://${registry.host}/secure/app:v1`, { certDir: ca.certDir, creds: 'alice:wrong-pw' }), (err: Error) => {
    assert.doesNotMatch(err.message, /wrong-pw/);
    return /creds=\*\*\*/.test(err.message);
  });
  assert.equal(redactArgs(['--src-creds', 'u:p', '--dest-creds=u:q', 'x']), '--src-creds *** --dest-creds=*** x');
});

test('a registry requiring client certificates accepts only clients with one', { skip: requirePeer('docker-registry', 'openssl') }, async (t) => {
  const dir = await tempDir('ferry-mtls', t);
  const ca = await makeCA(dir);
  const server = await makeServerCert(ca);
  const client = await makeClientCert(ca);
  const registry = await startRegistry({ t, tls: { ...server, clientCAs: [ca.cert] } });
  const caPem = await readFile(ca.cert);
  const without = new Agent({ connect: { ca: caPem } });
  const withCert = new Agent({ connect: { ca: caPem, cert: await readFile(client.cert), key: await readFile(client.key) } });
  t.after(() => Promise.all([without.close(), withCert.close()]));
  await assert.rejects(get(`${registry.url}/v2/`, { dispatcher: without }));
  assert.equal((await get(`${registry.url}/v2/`, { dispatcher: withCert })).status, 200);
  assert.deepEqual((await stat(join(client.certDir, 'ca.crt'))).isFile(), true);
});

test('synthetic images unpack with umoci and keep their digests through skopeo', { skip: requirePeer('docker-registry', 'skopeo', 'umoci') }, async (t) => {
  const store = syntheticStore([
    { name: 'team/app', tag: 'multi', layers: [5000, 70_000], platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }] },
    { name: 'team/app', tag: 'docker', layers: [3000], mediaTypes: 'docker', labels: { 'org.example': 'x' } },
  ]);
  const repo = store.repository('team/app');
  const dir = await tempDir('ferry-synth-peers', t);
  const layout = join(dir, 'layout');
  await writeOciLayout(repo, layout, ['multi']);

  // umoci reads the layout, verifies every digest and unpacks the tar layers.
  const amd = (await store.image('team/app', 'multi')).images[0]!;
  const run = promisify(execFile);
  const single = join(dir, 'single');
  await writeOciLayout(repo, single, [{ name: 'amd', reference: amd.manifest.digest }]);
  await run('umoci', ['unpack', '--rootless', '--image', `${single}:amd`, join(dir, 'bundle')]);
  const files = await run('find', [join(dir, 'bundle', 'rootfs'), '-type', 'f', '-printf', '%s\n']);
  assert.deepEqual(files.stdout.trim().split('\n').map(Number).sort((a, b) => a - b), [5000 - 5000 % 512 - 1536, 70_000 - 70_000 % 512 - 1536]);

  const registry = await startRegistry({ t });
  await seedRegistry(registry.host, repo, ['multi', 'docker']);
  for (const tag of ['multi', 'docker']) {
    assert.equal(await skopeoInspectDigest(`docker://${registry.host}/team/app:${tag}`, { tlsVerify: false }), (await store.image('team/app', tag)).top.digest, tag);
  }
  // Copying between two places with skopeo is also possible (oci layout → registry, other name).
  await skopeoCopy(`oci:${layout}:multi`, `docker://${registry.host}/other:m`, ['--all', '--preserve-digests'], { dest: { tlsVerify: false } });
  assert.equal(await skopeoInspectDigest(`docker://${registry.host}/other:m`, { tlsVerify: false }), (await store.image('team/app', 'multi')).top.digest);
});

test('the proxy streams, counts, rewrites Location and injects faults', { skip: requirePeer('docker-registry', 'skopeo') }, async (t) => {
  const registry = await startRegistry({ t });
  const proxy = await startProxy({ upstream: registry.url });
  t.after(() => proxy.stop());
  const store = syntheticStore([{ name: 'p/app', tag: 't', layers: [300_000, 4096] }]);
  const image = (await store.image('p/app', 't')).images[0]!;
  const blobBytes = image.config.size + image.layers.reduce((n, l) => n + l.size, 0);

  // A push through the proxy: skopeo follows the upload Location, which must point back at the proxy.
  await seedRegistry(proxy.host, store.repository('p/app'), ['t']);
  assert.equal(proxy.uploadedBytes(), blobBytes);
  assert.ok(proxy.count('POST upload') >= 3);
  assert.ok(proxy.count('PUT upload-session') + proxy.count('PATCH upload-session') >= 3);
  assert.equal(proxy.count('PUT manifest'), 1);
  assert.ok(proxy.stats.log.every((e) => e.status < 500));

  proxy.reset();
  const layer = image.layers[0]!;
  const blobUrl = `${proxy.url}/v2/p/app/blobs/${layer.digest}`;
  const full = await get(blobUrl);
  assert.equal(full.status, 200);
  assert.equal(sha256(full.body), layer.digest);
  assert.equal(proxy.downloadedBytes(), layer.size);
  assert.equal(proxy.count('GET blob'), 1);

  const limited = proxy.addFault({ type: 'status', status: 429, times: 1, match: { method: 'GET', kind: 'blob' } });
  const throttled = await get(blobUrl);
  assert.equal(throttled.status, 429);
  assert.equal(throttled.headers['retry-after'], '1');
  assert.equal(JSON.parse(throttled.body.toString()).errors[0].code, 'TOOMANYREQUESTS');
  assert.equal(limited.hits, 1);
  assert.equal((await get(blobUrl)).status, 200, 'the fault hits only once');

  proxy.addFault({ type: 'status', status: 503, times: 2, match: { kind: 'manifest' } });
  assert.equal((await get(`${proxy.url}/v2/p/app/manifests/t`)).status, 503);
  assert.equal((await get(`${proxy.url}/v2/p/app/manifests/t`)).status, 503);
  assert.equal((await get(`${proxy.url}/v2/p/app/manifests/t`, { headers: { accept: image.manifest.mediaType } })).status, 200);

  proxy.addFault({ type: 'corrupt', offset: 1000 });
  const corrupt = await get(blobUrl);
  assert.equal(corrupt.body.length, layer.size);
  const diff = [...corrupt.body].flatMap((b, i) => (b !== full.body[i] ? [i] : []));
  assert.deepEqual(diff, [1000]);

  proxy.reset();
  proxy.addFault({ type: 'cut', afterBytes: 100_000 });
  await assert.rejects(get(blobUrl));
  assert.equal(proxy.stats.log.find((e) => e.fault === 'cut')?.bytesOut, 100_000);
  const ranged = await get(blobUrl, { headers: { range: 'bytes=100000-' } });
  assert.equal(ranged.status, 206);
  assert.deepEqual(ranged.body, full.body.subarray(100_000), 'a resumed download completes the cut one');

  proxy.addFault({ type: 'delay', ms: 50 });
  assert.equal((await get(`${proxy.url}/v2/`)).status, 200);
  assert.ok(proxy.stats.log.some((e) => e.fault === 'delay'));

  // A gate holds a request until the test opens it: the response cannot arrive before.
  proxy.reset();
  const gate = proxy.addGate({ match: { kind: 'blob' }, times: 1 });
  let answered = false;
  const held = get(blobUrl).then((r) => ((answered = true), r));
  await gate.reached;
  assert.equal((await get(`${proxy.url}/v2/`)).status, 200, 'other requests pass while the gate holds one');
  assert.equal(answered, false, 'the held request has no answer yet');
  assert.equal(proxy.stats.maxInFlight, 2);
  gate.open();
  assert.deepEqual((await held).body, full.body);
  assert.equal(gate.hits, 1);
  const entry = proxy.stats.log.find((e) => e.fault === 'gate')!;
  assert.ok(proxy.stats.log.some((e) => e.kind === 'base' && e.seq > entry.seq && e.finishedAt < entry.finishedAt), 'the later request finished first');
  assert.equal(proxy.stats.traffic.filter((s) => s.direction === 'out' && s.kind === 'blob').reduce((n, s) => n + s.bytes, 0), layer.size);
  assert.equal((await get(blobUrl)).status, 200, 'a gate with times: 1 holds one request');
  const parsed = parseManifest(image.manifest.bytes, image.manifest.mediaType, 'x');
  assert.equal(parsed.kind, 'image');
});

test('parsePrometheusText reads valid exposition text and refuses what the format does not allow', () => {
  const good = [
    '# HELP req_total Requests.', '# TYPE req_total counter', 'req_total{method="GET",path="a\\"b\\\\c\\n"} 3', 'req_total{method="PUT"} 1 1700000000000',
    '# TYPE lat histogram', 'lat_bucket{le="0.1"} 1', 'lat_bucket{le="+Inf"} 2', 'lat_sum 0.3', 'lat_count 2', 'up NaN', '',
  ].join('\n');
  const families = parsePrometheusText(good);
  assert.equal(families.get('req_total')?.type, 'counter');
  assert.equal(sampleValue(families, 'req_total', { path: 'a"b\\c\n' }), 3);
  assert.equal(sampleValue(families, 'lat_count'), 2);
  assert.ok(Number.isNaN(sampleValue(families, 'up')));
  const bad: Array<[string, RegExp]> = [
    ['garbage here {{{', /not a sample|expected/],
    ['x{a=1} 2', /not quoted/],
    ['x 1\ny 1\nx 2', /not contiguous/],
    ['x one', /not a sample value/],
    ['x 1\n# TYPE x counter', /after its samples/],
    ['# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1', /not cumulative/],
    ['# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3', /differs/],
    ['# TYPE x countr', /unknown type/],
  ];
  for (const [text, why] of bad) assert.throws(() => parsePrometheusText(text), why, text);
});
