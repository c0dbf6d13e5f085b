import type { RawManifest } from '../src/oci/manifest.ts';
import type { TestImage } from './layout-image-fixture.ts';

/** A minimal raw distribution-API client for the server tests: exactly the requests written, nothing clever. */

export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The first error code of a distribution error body, if any. */
  code: string | undefined;
}

export async function call(base: string, method: string, path: string, init: { body?: Uint8Array | string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const options: RequestInit = { method };
  if (init.headers) options.headers = init.headers;
  if (init.body !== undefined) options.body = Buffer.from(init.body);
  // Location headers may be absolute (distribution) or relative (ferry).
  const res = await fetch(/^https?:\/\//.test(path) ? path : `${base}${path}`, options);
  const body = Buffer.from(await res.arrayBuffer());
  let code: string | undefined;
  if (res.status >= 400 && body.length > 0) {
    try {
      code = (JSON.parse(body.toString()) as { errors?: { code?: string }[] }).errors?.[0]?.code;
    } catch {
      code = undefined;
    }
  }
  return { status: res.status, headers: res.headers, body, code };
}

/**
 * How to upload a blob: `'single'` = one POST ?digest= (OCI 1.1, not in distribution 2.8);
 * undefined = POST then PUT with the whole body; a number = POST, PATCH chunks of that size, PUT.
 */
export type UploadMode = 'single' | number | undefined;

/** Pushes one blob the way `mode` says. */
export async function pushBlob(base: string, name: string, digest: string, bytes: Buffer, mode?: UploadMode): Promise<void> {
  if (mode === 'single') {
    const r = await call(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    if (r.status !== 201) throw new Error(`monolithic upload of ${digest}: ${r.status} ${r.body.toString()}`);
    return;
  }
  const start = await call(base, 'POST', `/v2/${name}/blobs/uploads/`);
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  let location = start.headers.get('location')!;
  if (mode === undefined) {
    const done = await call(base, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    if (done.status !== 201) throw new Error(`upload of ${digest}: ${done.status} ${done.body.toString()}`);
    return;
  }
  const chunk = mode;
  for (let offset = 0; offset < bytes.length; offset += chunk) {
    const part = bytes.subarray(offset, offset + chunk);
    const r = await call(base, 'PATCH', location, { body: part, headers: { 'Content-Range': `${offset}-${offset + part.length - 1}`, 'Content-Type': 'application/octet-stream' } });
    if (r.status !== 202) throw new Error(`PATCH ${offset}: ${r.status} ${r.body.toString()}`);
    location = r.headers.get('location')!;
  }
  const done = await call(base, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`);
  if (done.status !== 201) throw new Error(`upload close: ${done.status} ${done.body.toString()}`);
}

export async function pushManifest(base: string, name: string, reference: string, m: RawManifest): Promise<Reply> {
  return call(base, 'PUT', `/v2/${name}/manifests/${reference}`, { body: m.bytes, headers: { 'Content-Type': m.mediaType } });
}

/** Pushes an image's blobs (skipping ones the server has) and its manifest. */
export async function pushImage(base: string, name: string, reference: string, image: TestImage, mode?: UploadMode): Promise<void> {
  for (const b of image.blobs) {
    const head = await call(base, 'HEAD', `/v2/${name}/blobs/${b.descriptor.digest}`);
    if (head.status === 200) continue;
    await pushBlob(base, name, b.descriptor.digest, b.bytes, mode);
  }
  const r = await pushManifest(base, name, reference, image.manifest);
  if (r.status !== 201) throw new Error(`manifest ${name}:${reference}: ${r.status} ${r.body.toString()}`);
}

