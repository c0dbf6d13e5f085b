import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { sha256 } from './fixtures/layout-image.ts';
import { call, pushBlob } from './fixtures/server-client.ts';
import { startTestServer } from './fixtures/server.ts';
import { waitUntil } from './helpers/poll.ts';

async function temps(storage: string): Promise<string[]> {
  return readdir(join(storage, '.ferry-tmp')).catch(() => []);
}

test('ping, names and malformed digests answer 4xx with spec error codes', async (t) => {
  const { url } = await startTestServer(t);
  const ping = await call(url, 'GET', '/v2/');
  assert.equal(ping.status, 200);
  assert.equal(ping.headers.get('docker-distribution-api-version'), 'registry/2.0');
  const cases: [string, string, number, string][] = [
    ['GET', '/v2/UPPER/tags/list', 400, 'NAME_INVALID'],
    ['GET', '/v2/a..b/manifests/latest', 400, 'NAME_INVALID'],
    ['GET', `/v2/${'a'.repeat(300)}/tags/list`, 400, 'NAME_INVALID'],
    ['GET', '/v2/ns/app/blobs/sha256:xyz', 400, 'DIGEST_INVALID'],
    ['GET', '/v2/ns/app/blobs/md5:abcd', 400, 'DIGEST_INVALID'],
    ['GET', `/v2/ns/app/blobs/sha256:${'A'.repeat(64)}`, 400, 'DIGEST_INVALID'],
    ['GET', '/v2/ns/app/manifests/sha256:abc', 400, 'DIGEST_INVALID'],
    ['GET', '/v2/ns/app/manifests/-bad-tag', 404, 'NAME_UNKNOWN'],
    ['PUT', '/v2/ns/app/manifests/-bad-tag', 400, 'MANIFEST_INVALID'],
    ['GET', '/v2/ns/app/referrers/nope', 400, 'DIGEST_INVALID'],
    ['POST', '/v2/ns/app/blobs/uploads/?digest=sha256:123', 400, 'DIGEST_INVALID'],
    ['POST', '/v2/ns/app/blobs/uploads/?mount=bad&from=ns/other', 400, 'DIGEST_INVALID'],
    ['POST', `/v2/ns/app/blobs/uploads/?mount=${sha256('x')}&from=BAD`, 400, 'NAME_INVALID'],
    ['GET', '/v2/ns/app/tags/list?n=abc', 400, 'UNSUPPORTED'],
    ['GET', `/v2/ns/app/blobs/${sha256('absent')}`, 404, 'BLOB_UNKNOWN'],
    ['GET', '/v2/ns/app/tags/list', 404, 'NAME_UNKNOWN'],
    ['GET', '/v2/ns/app/manifests/latest', 404, 'NAME_UNKNOWN'],
    ['GET', '/v2/ns/app/blobs/uploads/0000', 404, 'BLOB_UPLOAD_UNKNOWN'],
    ['GET', '/v2/nothing', 404, 'NOT_FOUND'],
    ['POST', '/v2/ns/app/manifests/latest', 405, 'UNSUPPORTED'],
  ];
  for (const [method, path, status, code] of cases) {
    const r = await call(url, method, path);
    assert.equal(r.status, status, `${method} ${path.slice(0, 80)}`);
    assert.equal(r.code, code, `${method} ${path.slice(0, 80)}`);
  }
});

test('monolithic uploads are verified before they become visible', async (t) => {
  const server = await startTestServer(t);
  const data = Buffer.from('monolithic blob');
  const digest = sha256(data);
  const bad = await call(server.url, 'POST', `/v2/ns/app/blobs/uploads/?digest=${sha256('other')}`, { body: data });
  assert.equal(bad.status, 400);
  assert.equal(bad.code, 'DIGEST_INVALID');
  assert.equal((await call(server.url, 'HEAD', `/v2/ns/app/blobs/${sha256('other')}`)).status, 404);

  const ok = await call(server.url, 'POST', `/v2/ns/app/blobs/uploads/?digest=${digest}`, { body: data });
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('location'), `/v2/ns/app/blobs/${digest}`);
  assert.equal(ok.headers.get('docker-content-digest'), digest);
  const head = await call(server.url, 'HEAD', `/v2/ns/app/blobs/${digest}`);
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-length'), String(data.length));
  assert.deepEqual((await call(server.url, 'GET', `/v2/ns/app/blobs/${digest}`)).body, data);

  // POST then PUT with the whole body.
  const data2 = Buffer.from('post then put');
  const start = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  assert.equal(start.status, 202);
  assert.equal(start.headers.get('range'), '0-0');
  assert.ok(start.headers.get('docker-upload-uuid'));
  const put = await call(server.url, 'PUT', `${start.headers.get('location')}?digest=${sha256(data2)}`, { body: data2 });
  assert.equal(put.status, 201);
  assert.deepEqual((await call(server.url, 'GET', `/v2/ns/app/blobs/${sha256(data2)}`)).body, data2);
  assert.deepEqual(await temps(server.storage), []);
});

test('chunked uploads: order, ranges, status and cancel', async (t) => {
  const server = await startTestServer(t);
  const data = Buffer.from('0123456789abcdefghijKLMNOPQRST');
  const digest = sha256(data);
  const start = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  const loc = start.headers.get('location')!;
  const patch = (range: string | undefined, body: Buffer, extra: Record<string, string> = {}) =>
    call(server.url, 'PATCH', loc, { body, headers: { 'Content-Type': 'application/octet-stream', ...(range ? { 'Content-Range': range } : {}), ...extra } });

  const first = await patch('0-9', data.subarray(0, 10));
  assert.equal(first.status, 202);
  assert.equal(first.headers.get('range'), '0-9');
  const outOfOrder = await patch('20-29', data.subarray(20));
  assert.equal(outOfOrder.status, 416);
  assert.equal(outOfOrder.code, 'BLOB_UPLOAD_INVALID');
  const repeated = await patch('0-9', data.subarray(0, 10));
  assert.equal(repeated.status, 416);
  const malformed = await patch('ten-twenty', data.subarray(10, 20));
  assert.equal(malformed.status, 400);
  const lengthMismatch = await patch('10-29', data.subarray(10, 20));
  assert.equal(lengthMismatch.status, 400);
  const status = await call(server.url, 'GET', loc);
  assert.equal(status.status, 204);
  assert.equal(status.headers.get('range'), '0-9');

  assert.equal((await patch('10-19', data.subarray(10, 20))).status, 202);
  // The last chunk travels with the closing PUT.
  const wrong = await call(server.url, 'PUT', `${loc}?digest=not-a-digest`, { body: data.subarray(20), headers: { 'Content-Range': '20-29' } });
  assert.equal(wrong.code, 'DIGEST_INVALID');
  const done = await call(server.url, 'PUT', `${loc}?digest=${digest}`, { body: data.subarray(20), headers: { 'Content-Range': '20-29' } });
  assert.equal(done.status, 201, done.body.toString());
  assert.deepEqual((await call(server.url, 'GET', `/v2/ns/app/blobs/${digest}`)).body, data);
  assert.equal((await call(server.url, 'GET', loc)).code, 'BLOB_UPLOAD_UNKNOWN');

  // A finished upload whose bytes do not match the digest leaves nothing.
  const s2 = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  await call(server.url, 'PATCH', s2.headers.get('location')!, { body: 'abc' });
  const mismatch = await call(server.url, 'PUT', `${s2.headers.get('location')}?digest=${sha256('xyz')}`);
  assert.equal(mismatch.code, 'DIGEST_INVALID');
  assert.equal((await call(server.url, 'HEAD', `/v2/ns/app/blobs/${sha256('xyz')}`)).status, 404);

  // Cancel.
  const s3 = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  await call(server.url, 'PATCH', s3.headers.get('location')!, { body: 'partial' });
  assert.equal((await call(server.url, 'DELETE', s3.headers.get('location')!)).status, 204);
  assert.equal((await call(server.url, 'PATCH', s3.headers.get('location')!, { body: 'more' })).code, 'BLOB_UPLOAD_UNKNOWN');
  // An upload session belongs to its repository.
  const s4 = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  const foreign = s4.headers.get('location')!.replace('/ns/app/', '/ns/other/');
  assert.equal((await call(server.url, 'GET', foreign)).code, 'BLOB_UPLOAD_UNKNOWN');
  await call(server.url, 'DELETE', s4.headers.get('location')!);
  assert.deepEqual(await temps(server.storage), []);
});

test('an interrupted chunk is rolled back and never becomes a blob', async (t) => {
  const server = await startTestServer(t);
  const start = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  const loc = start.headers.get('location')!;
  await call(server.url, 'PATCH', loc, { body: 'hello ', headers: { 'Content-Range': '0-5' } });
  const range = async (): Promise<string | null> => (await call(server.url, 'GET', loc)).headers.get('range');

  // A client that promises 1000 bytes, sends 10 and disconnects — once the server has taken the 10.
  const req = request(`${server.url}${loc}`, { method: 'PATCH', headers: { 'Content-Length': '1000', 'Content-Range': '6-1005' } });
  const failed = new Promise<void>((resolve) => req.on('error', () => resolve()));
  req.write('0123456789');
  await waitUntil('the server to receive the 10 bytes', async () => ((await range()) === '0-15' ? true : undefined));
  req.destroy();
  await failed;

  // The server notices the disconnect on its own; a server that kept the bytes would stay at 0-15.
  const after = await waitUntil('the server to end the broken chunk', async () => {
    const r = await range();
    return r === '0-15' ? undefined : r;
  }).catch(() => '0-15');
  assert.equal(after, '0-5', 'the partial chunk was rolled back');
  // The client resumes at 6, as a client would after a network error (retrying while the server still closes the broken chunk).
  const done = await waitUntil('the upload to accept the next chunk', async () => {
    const r = await call(server.url, 'PUT', `${loc}?digest=${sha256('hello world')}`, { body: 'world', headers: { 'Content-Range': '6-10' } });
    return r.status === 416 && /receiving another chunk/.test(r.body.toString()) ? undefined : r;
  });
  assert.equal(done.status, 201, done.body.toString());
  assert.deepEqual((await call(server.url, 'GET', `/v2/ns/app/blobs/${sha256('hello world')}`)).body.toString(), 'hello world');
  assert.deepEqual(await temps(server.storage), []);
});

test('cross-repository mount and blob ranges', async (t) => {
  const server = await startTestServer(t);
  const data = Buffer.from('mountable content 0123456789');
  const digest = sha256(data);
  await pushBlob(server.url, 'ns/a', digest, data, 7);
  const mount = await call(server.url, 'POST', `/v2/ns/b/blobs/uploads/?mount=${digest}&from=ns/a`);
  assert.equal(mount.status, 201);
  assert.equal(mount.headers.get('location'), `/v2/ns/b/blobs/${digest}`);
  const missing = await call(server.url, 'POST', `/v2/ns/b/blobs/uploads/?mount=${sha256('absent')}&from=ns/a`);
  assert.equal(missing.status, 202, 'an unknown blob starts a normal upload');

  const part = await call(server.url, 'GET', `/v2/ns/b/blobs/${digest}`, { headers: { Range: 'bytes=10-16' } });
  assert.equal(part.status, 206);
  assert.equal(part.headers.get('content-range'), `bytes 10-16/${data.length}`);
  assert.equal(part.body.toString(), 'content');
  const suffix = await call(server.url, 'GET', `/v2/ns/b/blobs/${digest}`, { headers: { Range: 'bytes=-4' } });
  assert.equal(suffix.body.toString(), '6789');
  const beyond = await call(server.url, 'GET', `/v2/ns/b/blobs/${digest}`, { headers: { Range: 'bytes=1000-' } });
  assert.equal(beyond.status, 416);
  assert.equal(beyond.headers.get('content-range'), `bytes */${data.length}`);
});

test('garbage requests never get a 5xx', async (t) => {
  const server = await startTestServer(t);
  const data = Buffer.from('fuzz');
  await pushBlob(server.url, 'ns/app', sha256(data), data);
  const start = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  const upload = start.headers.get('location')!;
  const paths = ['/v2/', '/v2/_catalog', '/v2/ns/app/tags/list', `/v2/ns/app/blobs/${sha256(data)}`, '/v2/ns/app/manifests/x', upload, '/v2/ns/app/blobs/uploads/', '/v2/ns/app/referrers/x'];
  const suffixes = ['', '?n=-1', '?last=%ff', '?digest=sha256:', '?mount=&from=', '?n=1&n=2', '/..', '%00', '?digest=sha512:abc', '/x/y/manifests/%2e%2e'];
  const headers: Record<string, string>[] = [{}, { 'Content-Range': '5-1' }, { 'Content-Range': 'bytes=0-3' }, { Range: 'bytes=5-1' }, { Range: 'bytes=-0' }, { 'Content-Type': 'text/plain' }, { Range: 'items=1-2' }];
  const bodies: (string | undefined)[] = [undefined, '', '{}', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"digest":"x"}]}', '\u0000\u0001'];
  let i = 0;
  for (const path of paths) {
    for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']) {
      const suffix = suffixes[i % suffixes.length]!;
      const body = method === 'GET' || method === 'HEAD' ? undefined : bodies[i % bodies.length];
      const r = await call(server.url, method, `${path}${suffix}`, { headers: headers[i % headers.length]!, ...(body === undefined ? {} : { body }) });
      assert.ok(r.status < 500, `${method} ${path}${suffix} → ${r.status} ${r.body.toString()}`);
      i++;
    }
  }
  assert.ok(!server.events.some((e) => e.type === 'error'));
});
