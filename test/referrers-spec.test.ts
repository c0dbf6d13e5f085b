import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import type { Digest } from '../src/oci/digest.ts';
import { RegistryPool } from '../src/transports/registry/registry-pool.ts';
import { RegistryRepository } from '../src/transports/registry/registry-repository.ts';
import { startTestServer } from './fixtures/server.ts';

/**
 * The referrers API checked against the OCI distribution spec (v1.1,
 * "Listing Referrers") rather than ferry against ferry: the server gets raw
 * HTTP requests carrying artifacts shaped like the spec's example (an SBOM
 * and a signature manifest with artifactType and annotations, an index
 * without artifactType) and its answer is compared field by field with what
 * the spec's rules give; ferry's client reads the spec's example response
 * from a stand-in (no peer here serves the referrers API).
 */

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const EMPTY = 'application/vnd.oci.empty.v1+json';

const sha256 = (data: string | Uint8Array): Digest => `sha256:${createHash('sha256').update(data).digest('hex')}`;

async function send(base: string, method: string, path: string, body?: string, contentType?: string): Promise<Response> {
  return fetch(`${base}${path}`, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': contentType ?? 'application/octet-stream' } }) });
}

async function putBlob(base: string, name: string, bytes: string): Promise<{ digest: Digest; size: number }> {
  const digest = sha256(bytes);
  const res = await send(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, bytes);
  assert.equal(res.status, 201, `blob ${digest}`);
  return { digest, size: Buffer.byteLength(bytes) };
}

async function putManifest(base: string, name: string, text: string, mediaType: string, reference?: string): Promise<{ digest: Digest; size: number; res: Response }> {
  const digest = sha256(text);
  const res = await send(base, 'PUT', `/v2/${name}/manifests/${reference ?? digest}`, text, mediaType);
  assert.equal(res.status, 201, `manifest ${reference ?? digest}: ${await res.clone().text()}`);
  return { digest, size: Buffer.byteLength(text), res };
}

test('the referrers list follows the spec: artifactType from the manifest or its config, annotations, indexes, filtering, empty lists', async (t) => {
  const { url } = await startTestServer(t);
  const name = 'net-monitor';
  const empty = await putBlob(url, name, '{}');
  const layer = await putBlob(url, name, 'hello world');
  const config = await putBlob(url, name, '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');

  // The subject: a plain image, tagged.
  const subjectText = JSON.stringify({
    schemaVersion: 2, mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config }, layers: [],
  });
  const subject = await putManifest(url, name, subjectText, OCI_MANIFEST, 'v1');
  const subjectDescriptor = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size };

  // As in the spec's example: an SBOM and a signature manifest with artifactType and annotations…
  const artifact = (artifactType: string | undefined, configType: string, annotations: Record<string, string>): string =>
    JSON.stringify({
      schemaVersion: 2, mediaType: OCI_MANIFEST, ...(artifactType ? { artifactType } : {}),
      config: { mediaType: configType, ...empty }, layers: [{ mediaType: 'application/octet-stream', ...layer }],
      subject: subjectDescriptor, annotations,
    });
  const sbomAnnotations = { 'org.opencontainers.image.created': '2022-01-01T14:42:55Z', 'org.example.sbom.format': 'json' };
  const sigAnnotations = { 'org.opencontainers.image.created': '2022-01-01T07:21:33Z', 'org.example.signature.fingerprint': 'abcd' };
  const sbom = await putManifest(url, name, artifact('application/vnd.example.sbom.v1', EMPTY, sbomAnnotations), OCI_MANIFEST);
  const sig = await putManifest(url, name, artifact('application/vnd.example.signature.v1', EMPTY, sigAnnotations), OCI_MANIFEST);
  // …one without artifactType, whose config media type stands in for it (spec: "MUST be set to the config descriptor mediaType")…
  const legacy = await putManifest(url, name, artifact(undefined, 'application/vnd.example.legacy.config.v1+json', {}), OCI_MANIFEST);
  // …and an index without artifactType, which is listed without one.
  const indexAnnotations = { 'org.opencontainers.image.created': '2023-01-01T07:21:33Z' };
  const index = await putManifest(url, name, JSON.stringify({
    schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sbom.digest, size: sbom.size }],
    subject: subjectDescriptor, annotations: indexAnnotations,
  }), OCI_INDEX);
  for (const pushed of [sbom, sig, legacy, index]) assert.equal(pushed.res.headers.get('oci-subject'), subject.digest, 'a manifest with a subject is answered with OCI-Subject');

  const res = await send(url, 'GET', `/v2/${name}/referrers/${subject.digest}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), OCI_INDEX);
  const body = (await res.json()) as { schemaVersion: number; mediaType: string; manifests: Array<Record<string, unknown>> };
  assert.equal(body.schemaVersion, 2);
  assert.equal(body.mediaType, OCI_INDEX);
  const byDigest = (a: Record<string, unknown>, b: Record<string, unknown>): number => String(a['digest']).localeCompare(String(b['digest']));
  const expected: Array<Record<string, unknown>> = [
    { mediaType: OCI_MANIFEST, size: sbom.size, digest: sbom.digest, artifactType: 'application/vnd.example.sbom.v1', annotations: sbomAnnotations },
    { mediaType: OCI_MANIFEST, size: sig.size, digest: sig.digest, artifactType: 'application/vnd.example.signature.v1', annotations: sigAnnotations },
    { mediaType: OCI_MANIFEST, size: legacy.size, digest: legacy.digest, artifactType: 'application/vnd.example.legacy.config.v1+json' },
    { mediaType: OCI_INDEX, size: index.size, digest: index.digest, annotations: indexAnnotations },
  ];
  const actual = [...body.manifests].sort(byDigest);
  assert.equal(actual.length, expected.length, JSON.stringify(body));
  for (const [i, want] of expected.sort(byDigest).entries()) {
    const got = actual[i]!;
    for (const field of ['mediaType', 'size', 'digest', 'artifactType'] as const) assert.deepEqual(got[field], want[field], `${String(want['digest'])} ${field}`);
    // An empty annotations object and no annotations say the same.
    assert.deepEqual(got['annotations'] ?? {}, want['annotations'] ?? {}, `${String(want['digest'])} annotations`);
  }

  const filtered = await send(url, 'GET', `/v2/${name}/referrers/${subject.digest}?artifactType=${encodeURIComponent('application/vnd.example.signature.v1')}`);
  assert.equal(filtered.status, 200);
  assert.equal(filtered.headers.get('oci-filters-applied'), 'artifactType');
  assert.deepEqual(((await filtered.json()) as { manifests: Array<{ digest: string }> }).manifests.map((m) => m.digest), [sig.digest]);

  // "If a query results in no matching referrers, an empty manifest list MUST be returned."
  for (const path of [`/v2/${name}/referrers/${sbom.digest}`, `/v2/${name}/referrers/${sha256('no such manifest')}`]) {
    const none = await send(url, 'GET', path);
    assert.equal(none.status, 200, path);
    assert.deepEqual(await none.json(), { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] }, path);
  }
});

test("ferry's client reads the spec's example referrers response field by field", async (t) => {
  const subject = sha256('the subject manifest');
  const [a1, a2, a3] = ['a1', 'a2', 'a3'].map((s) => sha256(s)) as [Digest, Digest, Digest];
  // The spec's example response, with real digests in place of its elided ones.
  const example = {
    schemaVersion: 2,
    mediaType: OCI_INDEX,
    manifests: [
      { mediaType: OCI_MANIFEST, size: 1234, digest: a1, artifactType: 'application/vnd.example.sbom.v1', annotations: { 'org.opencontainers.image.created': '2022-01-01T14:42:55Z', 'org.example.sbom.format': 'json' } },
      { mediaType: OCI_MANIFEST, size: 1234, digest: a2, artifactType: 'application/vnd.example.signature.v1', annotations: { 'org.opencontainers.image.created': '2022-01-01T07:21:33Z', 'org.example.signature.fingerprint': 'abcd' } },
      { mediaType: OCI_INDEX, size: 1234, digest: a3, annotations: { 'org.opencontainers.image.created': '2023-01-01T07:21:33Z' } },
    ],
  };
  const asked: string[] = [];
  const server = createServer((req, res) => {
    asked.push(`${req.method} ${req.url} accept=${req.headers.accept}`);
    if (req.url === `/v2/net-monitor/referrers/${subject}`) res.writeHead(200, { 'content-type': OCI_INDEX }).end(JSON.stringify(example));
    else res.writeHead(404, { 'content-type': 'application/json' }).end('{"errors":[{"code":"NOT_FOUND","message":"no"}]}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const pool = new RegistryPool();
  t.after(() => pool.close());
  const client = await pool.client(`127.0.0.1:${(server.address() as AddressInfo).port}`, { tlsVerify: false });
  const repo = new RegistryRepository(client, 'net-monitor', { ownsClient: false });
  assert.deepEqual(await repo.referrers(subject), example.manifests);
  assert.ok(asked.some((a) => a.startsWith(`GET /v2/net-monitor/referrers/${subject} accept=${OCI_INDEX}`)), asked.join('\n'));
  // A registry without the API (404) has no referrers to list, rather than failing the mirror.
  assert.deepEqual(await repo.referrers(a1), []);
});
