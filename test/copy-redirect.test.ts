import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Digest } from '../src/oci/digest.ts';
import { httpChannel, type HttpDebugMessage } from '../src/transports/registry/registry-client.ts';
import { RegistryPool } from '../src/transports/registry/registry-pool.ts';
import { RegistryRepository } from '../src/transports/registry/registry-repository.ts';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/**
 * Registries hand blob downloads to storage on another origin with a
 * redirect (S3, GCS, a CDN), often with a signed URL. Debian's registry
 * cannot be set up to do that here, so this is the one place two tiny HTTP
 * servers play the parts: the registry demands Basic auth and redirects, the
 * "storage" records what it was sent.
 */
function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

test('credentials never follow a redirect to another origin, and signed URLs are redacted in debug output', async (t) => {
  const blob = Buffer.from('layer bytes that live in object storage');
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}` as Digest;
  const seenByStorage: IncomingHttpHeaders[] = [];
  const storage = createServer((req, res) => {
    seenByStorage.push(req.headers);
    res.writeHead(200, { 'content-length': String(blob.length) }).end(blob);
  });
  const storageHost = await listen(storage);
  const registry = createServer((req, res) => {
    if (req.headers.authorization !== `Basic ${Buffer.from('alice:s3cret-pass').toString('base64')}`) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="test"', 'content-length': '0' }).end();
      return;
    }
    res.writeHead(307, { location: `http://${storageHost}/bucket/${digest.slice(7)}?X-Amz-Signature=topsecret-signature&X-Amz-Expires=60`, 'content-length': '0' }).end();
  });
  const registryHost = await listen(registry);
  t.after(() => {
    storage.close();
    registry.close();
  });

  const debug: HttpDebugMessage[] = [];
  const onMessage = (m: unknown): void => void debug.push(m as HttpDebugMessage);
  subscribe(httpChannel.name, onMessage);
  t.after(() => unsubscribe(httpChannel.name, onMessage));

  const pool = new RegistryPool();
  t.after(() => pool.close());
  const client = await pool.client(registryHost, { tlsVerify: false, creds: 'alice:s3cret-pass' });
  const repo = new RegistryRepository(client, 'team/app', { ownsClient: false });
  const chunks: Buffer[] = [];
  for await (const chunk of await repo.blobGet({ mediaType: 'application/octet-stream', digest, size: blob.length })) chunks.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(chunks), blob);

  assert.equal(seenByStorage.length, 1);
  assert.equal(seenByStorage[0]!.authorization, undefined, 'no Authorization header at the other origin');
  const text = JSON.stringify(debug);
  assert.match(text, new RegExp(storageHost), 'the redirect target is in the debug output');
  assert.doesNotMatch(text, /topsecret-signature|s3cret-pass/, 'no signature or password in debug output');
});
