import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RegistryBackend } from './backend/registry-backend.ts';
import { RegistryError } from './registry-error.ts';
import type { UploadSessions } from './uploads/upload-sessions.ts';

/** Everything a route handler needs for one request. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** HEAD: headers only. */
  head: boolean;
  backend: RegistryBackend;
  /** Undefined when the backend takes no uploads. */
  uploads: UploadSessions | undefined;
  /** Who is asking: the user when authenticated, else the remote address (the unit of per-client limits). */
  client: string;
  /** Blob DELETE is allowed (`--enable-delete`). */
  enableDelete: boolean;
  /** Aborted when the client goes away before the response is complete. */
  signal: AbortSignal;
}

/** 405 for a verb the backend or the server's settings do not offer. */
export function unsupported(what: string): RegistryError {
  return new RegistryError(405, 'UNSUPPORTED', `${what} is not supported by this registry`);
}

/** Sends a JSON body with its length (headers only for HEAD). */
export function sendJson(ctx: RequestContext, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  ctx.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  ctx.res.end(ctx.head ? undefined : body);
}

/** Ends a response without a body. */
export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string | number> = {}): void {
  ctx.res.writeHead(status, { 'Content-Length': 0, ...headers });
  ctx.res.end();
}

/**
 * Reads a small request body (a manifest) into memory, refusing more than
 * `max` bytes with 413 as soon as the limit is crossed, before reading on.
 */
export async function readSmallBody(req: IncomingMessage, max: number, what: string): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > max) {
    throw new RegistryError(413, 'SIZE_INVALID', `${what} is ${declared} bytes, over the ${max}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > max) throw new RegistryError(413, 'SIZE_INVALID', `${what} is over the ${max}-byte limit`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A query parameter that may appear at most once; a repeated one is a client error. */
export function singleParam(url: URL, key: string): string | undefined {
  const all = url.searchParams.getAll(key);
  if (all.length > 1) throw new RegistryError(400, 'UNSUPPORTED', `query parameter "${key}" given more than once`);
  return all[0];
}

/** The `n` and `last` query parameters of a listing; a malformed `n` is a 400. */
export interface PageParams {
  n: number | undefined;
  last: string | undefined;
}

export function pageParams(url: URL): PageParams {
  const nRaw = singleParam(url, 'n');
  const last = singleParam(url, 'last');
  if (nRaw !== undefined && !/^\d{1,9}$/.test(nRaw)) throw new RegistryError(400, 'UNSUPPORTED', `invalid page size n=${JSON.stringify(nRaw)}`);
  return { n: nRaw === undefined ? undefined : Number(nRaw), last };
}

/** One page of sorted names, with the `Link` header for the next page. */
export function paginate(params: PageParams, items: readonly string[], basePath: string): { page: string[]; headers: Record<string, string> } {
  const { n, last } = params;
  const after = last === undefined ? items : items.filter((t) => t > last);
  if (n === undefined) return { page: [...after], headers: {} };
  const page = after.slice(0, n);
  const headers: Record<string, string> = {};
  if (n > 0 && after.length > n) {
    const next = new URLSearchParams({ n: String(n), last: page[page.length - 1]! });
    headers['Link'] = `<${basePath}?${next.toString()}>; rel="next"`;
  }
  return { page, headers };
}
