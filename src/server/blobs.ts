import { isDigest, type Digest } from '../oci/digest.ts';
import { referencedBlobs } from '../transports/layout/layout-gc.ts';
import { sendEmpty, type RequestContext } from './http-util.ts';
import { sendFileRange } from './send-file.ts';
import { RegistryError } from './registry-error.ts';

/** Parses a single `bytes=` range against a blob size; undefined means "send it all" (absent or multi-range). */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | undefined {
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

/** GET/HEAD a blob, streamed from disk, with single-range support. */
export async function getBlob(ctx: RequestContext, name: string, digestRaw: string): Promise<void> {
  const digest = checkDigest(digestRaw);
  const { store } = ctx.storage;
  const size = await store.blobSize(digest);
  if (size === undefined) throw new RegistryError(404, 'BLOB_UNKNOWN', `blob ${digest} not found in ${name}`, { detail: { digest } });
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
  if (ctx.head) {
    ctx.res.writeHead(range ? 206 : 200, headers);
    ctx.res.end();
    return;
  }
  ctx.res.writeHead(range ? 206 : 200, headers);
  if (size === 0) {
    ctx.res.end();
    return;
  }
  await sendFileRange(store.blobPath(digest), ctx.res, range?.start ?? 0, range?.end ?? size - 1, ctx.signal);
}

/**
 * DELETE a blob. Blobs are shared by every repository of the store, so one
 * still reachable from any manifest is refused (405) instead of breaking images.
 */
export async function deleteBlob(ctx: RequestContext, name: string, digestRaw: string): Promise<void> {
  const digest = checkDigest(digestRaw);
  const { store } = ctx.storage;
  if (!(await store.hasBlob(digest))) throw new RegistryError(404, 'BLOB_UNKNOWN', `blob ${digest} not found in ${name}`, { detail: { digest } });
  const { referenced } = await referencedBlobs(store, { signal: ctx.signal });
  if (referenced.has(digest)) {
    throw new RegistryError(405, 'UNSUPPORTED', `blob ${digest} is still used by a manifest in the store; delete the manifests first`);
  }
  await store.deleteBlob(digest);
  sendEmpty(ctx, 202);
}
