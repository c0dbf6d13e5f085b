import { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { Scope } from './auth-session.ts';
import { headerValue, type RegistryClient } from './registry-client.ts';

export interface UploadOptions {
  client: RegistryClient;
  /** `/v2/<name>/blobs/uploads/` */
  uploadPath: string;
  scopes: Scope[];
  descriptor: Descriptor;
  /** Verified stream of exactly descriptor.size bytes. */
  data: Readable;
  subject: string;
  signal?: AbortSignal | undefined;
}

/** A registry answering a monolithic PUT with these wants the bytes in PATCH chunks. */
const PUT_REFUSED = new Set([405, 413, 416, 501]);
/** Registries learnt (per client) to refuse a monolithic PUT: later uploads go chunked from the start. */
const chunkedOnly = new WeakSet<RegistryClient>();

function withDigest(location: string, base: string, digest: string): string {
  const url = new URL(location, base);
  url.searchParams.set('digest', digest);
  return url.href;
}

/**
 * Uploads one blob: POST opens a session (which also settles authentication
 * before any stream is sent), then the bytes stream in one monolithic PUT
 * with the digest — two requests per blob, the distribution spec's
 * required path. A registry that caps chunk sizes (`OCI-Chunk-Max-Length`)
 * or refuses the monolithic PUT gets PATCH chunks and a closing PUT instead.
 * Any failure cancels the session so no partial upload lingers. The registry
 * verifies the digest again on PUT; nothing becomes visible unless both agree.
 */
export async function uploadBlob(options: UploadOptions): Promise<void> {
  const { client, descriptor, signal } = options;
  const opened = await client.request({
    method: 'POST', path: options.uploadPath, scopes: options.scopes, signal, headers: { 'content-length': '0' }, subject: options.subject,
  });
  await opened.body.dump();
  let location = headerValue(opened.headers, 'location');
  if (location === undefined) throw new FerryError('REGISTRY', `${options.subject}: upload session has no Location`);
  location = new URL(location, opened.url).href;
  const maxChunk = Number(headerValue(opened.headers, 'oci-chunk-max-length') ?? NaN);
  try {
    const capped = Number.isFinite(maxChunk) && maxChunk > 0 && maxChunk < descriptor.size;
    if (!capped && !chunkedOnly.has(client)) {
      const status = await putFinal(options, withDigest(location, opened.url, descriptor.digest), options.data, descriptor.size, PUT_REFUSED);
      if (!PUT_REFUSED.has(status)) return;
      chunkedOnly.add(client);
      throw new FerryError('REGISTRY', `${options.subject}: registry refused a monolithic upload (HTTP ${status}); retrying in chunks`, { retryable: true });
    }
    let offset = 0;
    const chunks = capped ? rechunk(options.data, maxChunk) : [options.data];
    for await (const part of chunks) {
      const length = part instanceof Readable ? descriptor.size : part.length;
      if (length === 0) continue;
      const res = await client.request({
        method: 'PATCH',
        path: location,
        scopes: options.scopes,
        signal,
        body: part,
        headers: {
          'content-type': 'application/octet-stream',
          'content-length': String(length),
          'content-range': `${offset}-${offset + length - 1}`,
        },
        subject: options.subject,
      });
      await res.body.dump();
      offset += length;
      location = new URL(headerValue(res.headers, 'location') ?? location, res.url).href;
    }
    await putFinal(options, withDigest(location, opened.url, descriptor.digest), undefined, 0);
  } catch (err) {
    options.data.destroy();
    await client
      .request({ method: 'DELETE', path: location, scopes: options.scopes, accept: [400, 404, 405], subject: options.subject })
      .then((r) => r.body.dump())
      .catch(() => undefined);
    throw err;
  }
}

/** The closing PUT (with the whole blob, or empty after PATCHes); returns the status, which is 201 unless `accept` let a refusal through. */
async function putFinal(options: UploadOptions, url: string, body: Readable | undefined, length: number, accept?: ReadonlySet<number>): Promise<number> {
  const res = await options.client.request({
    method: 'PUT',
    path: url,
    scopes: options.scopes,
    signal: options.signal,
    accept: accept ? [...accept] : undefined,
    body: body ?? new Uint8Array(0),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
    subject: options.subject,
  });
  await res.body.dump();
  if (accept?.has(res.status)) return res.status;
  const stored = headerValue(res.headers, 'docker-content-digest');
  if (stored !== undefined && stored !== options.descriptor.digest) {
    throw new FerryError('DIGEST_MISMATCH', `${options.subject}: registry stored the blob as ${stored}`);
  }
  return res.status;
}

/** Re-slices a stream into Buffers of at most `max` bytes (for registries that cap chunk size). */
async function* rechunk(source: Readable, max: number): AsyncGenerator<Buffer> {
  let held: Buffer[] = [];
  let heldLength = 0;
  for await (const raw of source) {
    let chunk = raw as Buffer;
    while (chunk.length > 0) {
      const take = Math.min(max - heldLength, chunk.length);
      held.push(chunk.subarray(0, take));
      heldLength += take;
      chunk = chunk.subarray(take);
      if (heldLength === max) {
        yield Buffer.concat(held);
        held = [];
        heldLength = 0;
      }
    }
  }
  if (heldLength > 0) yield Buffer.concat(held);
}
