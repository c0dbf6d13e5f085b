import { isDigest, type Digest } from '../../oci/digest.ts';
import { isValidRepository } from '../../transports/layout/layout-names.ts';
import { sendEmpty, singleParam, unsupported, type RequestContext } from '../http-util.ts';
import { RegistryError } from '../registry-error.ts';
import { rangeHeader, type ChunkExpectation, type UploadSession, type UploadSessions } from '../uploads/upload-sessions.ts';

function digestParam(ctx: RequestContext, key: string): Digest | undefined {
  const value = singleParam(ctx.url, key);
  if (value === undefined) return undefined;
  if (!isDigest(value)) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest "${value}" in "${key}"`);
  return value;
}

function sessionHeaders(name: string, s: UploadSession): Record<string, string> {
  return { Location: `/v2/${name}/blobs/uploads/${s.id}`, Range: rangeHeader(s.offset), 'Docker-Upload-UUID': s.id };
}

function blobCreated(ctx: RequestContext, name: string, digest: Digest): void {
  sendEmpty(ctx, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
}

function sessions(ctx: RequestContext): UploadSessions {
  if (!ctx.uploads) throw unsupported('uploading blobs');
  return ctx.uploads;
}

function hasBody(ctx: RequestContext): boolean {
  const length = ctx.req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return ctx.req.headers['transfer-encoding'] !== undefined;
}

function declaredLength(ctx: RequestContext): number | undefined {
  const length = ctx.req.headers['content-length'];
  if (length === undefined) return undefined;
  if (!/^\d+$/.test(length)) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', `invalid Content-Length "${length}"`);
  return Number(length);
}

/** What Content-Range and Content-Length say a chunk must be; malformed or inconsistent values are 400. */
function chunkExpectation(ctx: RequestContext): ChunkExpectation {
  const length = declaredLength(ctx);
  const range = ctx.req.headers['content-range'];
  if (range === undefined) return { length };
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(range.trim());
  if (!m) throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', `invalid Content-Range "${range}": expected START-END`);
  const start = Number(m[1]);
  const end = Number(m[2]);
  if (end < start) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `invalid Content-Range "${range}": end before start`);
  if (length !== undefined && length !== end - start + 1) {
    throw new RegistryError(400, 'BLOB_UPLOAD_INVALID', `Content-Range "${range}" covers ${end - start + 1} bytes but Content-Length is ${length}`);
  }
  return { start, length: end - start + 1 };
}

/** POST /v2/<name>/blobs/uploads/: mount, monolithic upload (`digest=`), or a new session. */
export async function postUpload(ctx: RequestContext, name: string): Promise<void> {
  const mount = digestParam(ctx, 'mount');
  const digest = digestParam(ctx, 'digest');
  const from = singleParam(ctx.url, 'from');
  if (from !== undefined && !isValidRepository(from)) throw new RegistryError(400, 'NAME_INVALID', `invalid repository name "${from}" in "from"`);
  const { blobs } = ctx.backend;
  if (mount !== undefined && blobs.mount && (await blobs.mount(name, mount, from, { signal: ctx.signal }))) {
    ctx.req.resume();
    blobCreated(ctx, name, mount);
    return;
  }
  if (digest !== undefined) {
    if (!blobs.put) throw unsupported('uploading blobs');
    await blobs.put(name, digest, ctx.req, { size: declaredLength(ctx), signal: ctx.signal });
    blobCreated(ctx, name, digest);
    return;
  }
  const session = await sessions(ctx).start(name, ctx.client);
  ctx.req.resume();
  sendEmpty(ctx, 202, sessionHeaders(name, session));
}

/** PATCH: one chunk (Content-Range checked) or the whole blob streamed. */
export async function patchUpload(ctx: RequestContext, name: string, id: string | undefined): Promise<void> {
  const uploads = sessions(ctx);
  const session = await uploads.get(name, id);
  await uploads.append(session, ctx.req, chunkExpectation(ctx));
  sendEmpty(ctx, 202, sessionHeaders(name, session));
}

/** PUT ?digest=: optional last chunk, then verification; only then is the blob visible. */
export async function putUpload(ctx: RequestContext, name: string, id: string | undefined): Promise<void> {
  const uploads = sessions(ctx);
  const session = await uploads.get(name, id);
  const digest = digestParam(ctx, 'digest');
  if (digest === undefined) throw new RegistryError(400, 'DIGEST_INVALID', 'closing an upload needs ?digest=');
  if (hasBody(ctx)) await uploads.append(session, ctx.req, chunkExpectation(ctx));
  await uploads.finish(session, digest);
  blobCreated(ctx, name, digest);
}

/** GET: where the upload stands (204 with Range). */
export async function getUpload(ctx: RequestContext, name: string, id: string | undefined): Promise<void> {
  const session = await sessions(ctx).get(name, id);
  sendEmpty(ctx, 204, sessionHeaders(name, session));
}

/** DELETE: cancel the upload and drop its bytes. */
export async function deleteUpload(ctx: RequestContext, name: string, id: string | undefined): Promise<void> {
  const uploads = sessions(ctx);
  await uploads.cancel(await uploads.get(name, id));
  sendEmpty(ctx, 204);
}
