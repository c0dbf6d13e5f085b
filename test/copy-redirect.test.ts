import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { test } from 'node:test';
import { syntheticStore } from '../src/testing/synthetic.ts';
import { explain, runFerry } from './helpers/ferry-cli.ts';
import { requirePeer, startRegistry } from './helpers/registry.ts';
import { seedRegistry } from './helpers/seed.ts';
import { skopeoInspectDigest } from './helpers/skopeo.ts';
import { removeTempDir, tempDir } from './helpers/tmp.ts';

/**
 * Registries hand blob downloads to storage on another origin with a
 * redirect (S3, GCS, a CDN), often with a signed URL. The registry here is
 * real: Debian's distribution 2.8 with its `redirect` storage middleware,
 * behind htpasswd. Only the object-storage origin is a stand-in (no object
 * store runs here): a tiny server that sends each request on to a signed URL
 * of itself (the middleware of 2.8 drops query strings, so it cannot sign),
 * serves the registry's own storage files by the path the middleware put in
 * the redirect, and records what it was sent.
 */

const USER = 'alice';
const PASSWORD = 'S3cret-pass-9d1e';
/** The "signature" of the signed URL the storage origin redirects to. */
const SIGNATURE = 'topsecret-signature-77aa';

test('credentials never follow a redirect to another origin, and signed URLs are redacted in debug output', { skip: requirePeer('docker-registry', 'skopeo', 'htpasswd') }, async (t) => {
  const seen: Array<{ method: string; url: string; headers: IncomingHttpHeaders }> = [];
  let dataDir = '';
  const storage = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://storage.invalid');
    const file = normalize(join(dataDir, url.pathname));
    if (!file.startsWith(`${dataDir}/`)) {
      res.writeHead(403).end();
      return;
    }
    // Like a CDN edge in front of a bucket: the first hop sends the client on to a signed URL.
    if (url.searchParams.get('X-Amz-Signature') !== SIGNATURE) {
      res.writeHead(307, { location: `${url.pathname}?X-Amz-Signature=${SIGNATURE}&X-Amz-Expires=60`, 'content-length': '0' }).end();
      return;
    }
    stat(file).then(
      (s) => {
        res.writeHead(200, { 'content-length': String(s.size), 'content-type': 'application/octet-stream' });
        if (req.method === 'HEAD') res.end();
        else createReadStream(file).pipe(res);
      },
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => storage.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => storage.close(() => resolve())));
  const storageHost = `127.0.0.1:${(storage.address() as AddressInfo).port}`;

  const registry = await startRegistry({
    t,
    htpasswd: { [USER]: PASSWORD },
    config: { middleware: { storage: [{ name: 'redirect', options: { baseurl: `http://${storageHost}/?X-Amz-Signature=${SIGNATURE}&X-Amz-Expires=60` } }] } },
  });
  dataDir = registry.dataDir;
  const store = syntheticStore([{ name: 'team/app', tag: 'v1', layers: [64 * 1024, 8 * 1024] }]);
  const built = await store.image('team/app', 'v1');
  const creds = `${USER}:${PASSWORD}`;
  await seedRegistry(registry.host, store.repository('team/app'), ['v1'], { dest: { tlsVerify: false, creds } });
  seen.length = 0;

  const work = await tempDir('ferry-redirect');
  t.after(() => removeTempDir(work));
  const run = await runFerry(['--debug', 'copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${registry.host}/team/app:v1`, `oci:${join(work, 'out')}:app`]);
  assert.equal(run.code, 0, explain(run));

  // Every blob came from the storage origin, and none of those requests carried the registry's credentials.
  const blobs = built.images[0]!;
  const fetched = seen.filter((r) => r.method === 'GET' && r.url.includes(SIGNATURE));
  assert.equal(fetched.length, 1 + blobs.layers.length, `config and layers fetched from storage: ${JSON.stringify(seen.map((r) => r.url))}`);
  for (const r of seen) assert.equal(r.headers.authorization, undefined, `no Authorization header at the other origin (${r.method} ${r.url})`);
  // The layout holds what the registry holds.
  assert.equal(await skopeoInspectDigest(`oci:${join(work, 'out')}:app`), built.top.digest);

  assert.match(run.stderr, new RegExp(`debug: GET http://${storageHost}/`), 'the redirect target is in the debug output');
  for (const secret of [SIGNATURE, PASSWORD, Buffer.from(creds).toString('base64')]) {
    assert.ok(!run.stderr.includes(secret) && !run.stdout.includes(secret), `no ${secret.slice(0, 6)}… in the output`);
  }
});
