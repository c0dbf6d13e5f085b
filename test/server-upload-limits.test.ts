import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { call } from './fixtures/server-client.ts';
import { startTestServer, type TestServer } from './fixtures/server.ts';

/**
 * Issue 11's upload-session flood, in-process with small limits (the process
 * adds nothing here; server-hostile-requests.test.ts floods the real one):
 * sessions are capped per client and per repository, idle ones expire, and a
 * full scope evicts its longest-idle session before it refuses anyone.
 */

/** POST a new upload from a client address of its own (127.0.0.x). */
function startUpload(server: TestServer, repository: string, from: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', localAddress: from }, (res) => {
      res.resume();
      res.once('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.once('error', reject);
    req.end();
  });
}

test('upload sessions are capped per client and per repository, not only in total', async (t) => {
  const server = await startTestServer(t, { uploadLimits: { perClient: 3, perRepository: 5, total: 100 } });
  const a = await Promise.all([1, 2, 3, 4].map(() => startUpload(server, 'ns/app', '127.0.0.2')));
  assert.deepEqual(a.map((r) => r.status), [202, 202, 202, 429], 'client A gets three');
  const b = await Promise.all([1, 2].map(() => startUpload(server, 'ns/app', '127.0.0.3')));
  assert.deepEqual(b.map((r) => r.status), [202, 202], 'client B is not locked out by A');
  const full = await startUpload(server, 'ns/app', '127.0.0.4');
  assert.equal(full.status, 429, 'the repository holds five');
  const elsewhere = await startUpload(server, 'ns/other', '127.0.0.4');
  assert.equal(elsewhere.status, 202, 'other repositories are not affected');
  const refused = await call(server.url, 'POST', '/v2/ns/app/blobs/uploads/');
  assert.equal(refused.code, 'TOOMANYREQUESTS');
  assert.ok(refused.headers.get('retry-after'));
  // Finishing or cancelling frees the share.
  assert.equal((await call(server.url, 'DELETE', a[0]!.location!)).status, 204);
  assert.equal((await startUpload(server, 'ns/app', '127.0.0.2')).status, 202);
});

test('idle sessions expire and drop their bytes; a full scope evicts its longest-idle session first', async (t) => {
  // Generous margins: the box running the suite is loaded, and only the order of events matters.
  const expiring = await startTestServer(t, { uploadLimits: { idleMs: 1_000 } });
  const old = await call(expiring.url, 'POST', '/v2/ns/app/blobs/uploads/');
  assert.equal((await call(expiring.url, 'PATCH', old.headers.get('location')!, { body: 'some bytes' })).status, 202);
  await sleep(1_500);
  const expired = await call(expiring.url, 'GET', old.headers.get('location')!);
  assert.equal(expired.code, 'BLOB_UPLOAD_UNKNOWN');
  assert.deepEqual(await readdir(join(expiring.storage, '.ferry-tmp')), [], 'its bytes are gone');

  const server = await startTestServer(t, { uploadLimits: { perClient: 3, evictAfterMs: 1_000 } });
  const sessions = [];
  for (let i = 0; i < 3; i++) sessions.push(await startUpload(server, 'ns/app', '127.0.0.2'));
  assert.equal((await startUpload(server, 'ns/app', '127.0.0.2')).status, 429, 'nothing is idle long enough to evict yet');
  await sleep(1_500);
  // The second session is used again: the first is now the longest idle.
  assert.equal((await call(server.url, 'PATCH', sessions[1]!.location!, { body: 'in use' })).status, 202);
  assert.equal((await startUpload(server, 'ns/app', '127.0.0.2')).status, 202, 'room was made');
  assert.equal((await call(server.url, 'GET', sessions[0]!.location!)).code, 'BLOB_UPLOAD_UNKNOWN', 'the longest-idle session went');
  assert.equal((await call(server.url, 'GET', sessions[1]!.location!)).status, 204, 'the session in use stayed');
  assert.equal((await call(server.url, 'GET', sessions[2]!.location!)).status, 204);
});
