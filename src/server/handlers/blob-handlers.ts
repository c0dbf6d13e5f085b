import { isDigest, type Digest } from '../../oci/digest.ts';
import type { ByteRange } from '../backend/blob-backend.ts';
import { sendEmpty, unsupported, type RequestContext } from '../http-util.ts';
import { RegistryError } from '../registry-error.ts';

/** Parses a single `bytes=` range against a blob size; undefined means "send it all" (absent or multi-range). */
function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (header === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // Suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) throw unsatisfiable(size);
    start = Math.max(size - n, 0);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || end < start) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): RegistryError {
  return new RegistryError(416, 'RANGE_INVALID', 'requested range not satisfiable', { headers: { 'Content-Range': `bytes */${size}` } });
}

export function checkDigest(value: string): Digest {
  if (!isDigest(value)) throw new RegistryError(400, 'DIGEST_INVALID', `invalid digest "${value}"`);
  return value;
}

function blobUnknown(name: string, digest: Digest): RegistryError {
  return new RegistryError(404, 'BLOB_UNKNOWN', `blob ${digest} not found in ${name}`, { detail: { digest } });
}

/** GET/HEAD a blob with single-range support: a redirect when the backend offers one, else streamed. */
export async function getBlob(ctx: RequestContext, name: string, digestRaw: string): Promise<void> {
  const digest = checkDigest(digestRaw);
  const { blobs } = ctx.backend;
  const options = { signal: ctx.signal };
  const location = blobs.redirect ? await blobs.redirect(name, digest, options) : undefined;
  if (location !== undefined) {
    sendEmpty(ctx, 307, { Location: location, 'Docker-Content-Digest': digest });
    return;
  }
  const info = await blobs.stat(name, digest, options);
  if (info === undefined) throw blobUnknown(name, digest);
  const { size } = info;
  const range = parseRange(ctx.req.headers.range, size);
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    'Accept-Ranges': 'bytes',
    ETag: `"${digest}"`,
    'Cache-Control': 'max-age=31536000',
  };
  if (range) {
    headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
    headers['Content-Length'] = range.end - range.start + 1;
  } else {
    headers['Content-Length'] = size;
  }
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (!ctx.head && size > 0) await blobs.copyRange(name, digest, range ?? { start: 0, end: size - 1 }, ctx.res, options);
  ctx.res.end();
}

/**
 * DELETE a blob, when the server allows it (`--enable-delete`). Blobs may be
 * shared by every repository of the store, so one still referenced by a
 * manifest is refused (405) instead of breaking images.
 */
export async function deleteBlob(ctx: RequestContext, name: string, digestRaw: string): Promise<void> {
  if (!ctx.enableDelete) throw new RegistryError(405, 'UNSUPPORTED', 'blob deletion is disabled on this registry (ferry serve --enable-delete allows it)');
  const digest = checkDigest(digestRaw);
  const { blobs } = ctx.backend;
  if (!blobs.delete) throw unsupported('blob deletion');
  const result = await blobs.delete(name, digest, { signal: ctx.signal });
  if (result === 'absent') throw blobUnknown(name, digest);
  if (result === 'in-use') {
    throw new RegistryError(405, 'UNSUPPORTED', `blob ${digest} is still used by a manifest in the store; delete the manifests first`);
  }
  sendEmpty(ctx, 202);
}
