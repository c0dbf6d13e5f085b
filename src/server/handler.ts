import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerLogEvent } from './access-log.ts';
import { AUTH_REALM, type Authenticator } from './auth.ts';
import { deleteBlob, getBlob } from './blobs.ts';
import { sendJson, type RequestContext } from './http-util.ts';
import { listCatalog, listReferrers, listTags } from './listings.ts';
import { deleteManifest, getManifest, putManifest } from './manifests.ts';
import { RegistryError, sendError, toRegistryError } from './registry-error.ts';
import type { RegistryStorage } from './registry-storage.ts';
import { matchRoute, type Route } from './route.ts';
import type { UploadSessions } from './upload-sessions.ts';
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './uploads.ts';
import { isValidRepository } from '../transports/layout/layout-names.ts';

export interface HandlerOptions {
  storage: RegistryStorage;
  uploads: UploadSessions;
  readOnly: boolean;
  authenticate?: Authenticator | undefined;
  log: (event: ServerLogEvent) => void;
}

const READ_METHODS = new Set(['GET', 'HEAD']);

function methodNotAllowed(method: string, allowed: string): RegistryError {
  return new RegistryError(405, 'UNSUPPORTED', `method ${method} is not allowed here`, { headers: { Allow: allowed } });
}

async function dispatch(ctx: RequestContext, route: Route, method: string): Promise<void> {
  switch (route.kind) {
    case 'ping':
      if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
      return sendJson(ctx, 200, {});
    case 'catalog':
      if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
      return listCatalog(ctx);
    case 'unknown':
      throw new RegistryError(404, 'NOT_FOUND', 'unknown API endpoint');
  }
  const { name } = route;
  if (!isValidRepository(name)) throw new RegistryError(400, 'NAME_INVALID', `invalid repository name "${name}"`, { detail: { name } });
  switch (route.kind) {
    case 'tags':
      if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
      return listTags(ctx, name);
    case 'referrers':
      if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
      return listReferrers(ctx, name, route.digest);
    case 'manifest':
      if (READ_METHODS.has(method)) return getManifest(ctx, name, route.reference);
      if (method === 'PUT') return putManifest(ctx, name, route.reference);
      if (method === 'DELETE') return deleteManifest(ctx, name, route.reference);
      throw methodNotAllowed(method, 'GET, HEAD, PUT, DELETE');
    case 'blob':
      if (READ_METHODS.has(method)) return getBlob(ctx, name, route.digest);
      if (method === 'DELETE') return deleteBlob(ctx, name, route.digest);
      throw methodNotAllowed(method, 'GET, HEAD, DELETE');
    case 'upload':
      if (route.id === undefined) {
        if (method === 'POST') return postUpload(ctx, name);
        throw methodNotAllowed(method, 'POST');
      }
      if (method === 'PATCH') return patchUpload(ctx, name, route.id);
      if (method === 'PUT') return putUpload(ctx, name, route.id);
      if (method === 'GET') return getUpload(ctx, name, route.id);
      if (method === 'DELETE') return deleteUpload(ctx, name, route.id);
      throw methodNotAllowed(method, 'GET, PATCH, PUT, DELETE');
  }
}

/**
 * The registry as a node:http request listener: authentication, read-only
 * enforcement, routing, error bodies and one access-log event per request.
 */
export function createRegistryHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    let user: string | undefined;
    let errorCode: string | undefined;
    const aborter = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborter.abort();
      options.log({
        type: 'request', time: new Date().toISOString(), method, path: req.url ?? '', status: res.statusCode,
        bytes: Number(res.getHeader('Content-Length') ?? 0) || 0, durationMs: Math.round(performance.now() - started),
        remote: req.socket.remoteAddress ?? '', user, error: errorCode,
      });
    });
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    void (async () => {
      try {
        let url: URL;
        try {
          url = new URL(req.url ?? '/', 'http://registry.invalid');
        } catch {
          throw new RegistryError(400, 'UNSUPPORTED', 'malformed request URL');
        }
        if (options.authenticate) {
          user = await options.authenticate(req.headers.authorization);
          if (user === undefined) {
            throw new RegistryError(401, 'UNAUTHORIZED', 'authentication required', { headers: { 'WWW-Authenticate': `Basic realm="${AUTH_REALM}"` } });
          }
        }
        const route = matchRoute(url.pathname);
        if (options.readOnly && !READ_METHODS.has(method) && route.kind !== 'unknown') {
          throw new RegistryError(405, 'UNSUPPORTED', 'the registry is read-only', { headers: { Allow: 'GET, HEAD' } });
        }
        const ctx: RequestContext = { req, res, url, head, storage: options.storage, uploads: options.uploads, signal: aborter.signal };
        await dispatch(ctx, route, method);
      } catch (error) {
        if (aborter.signal.aborted || res.destroyed) return; // the client went away: nobody to answer
        const answer = toRegistryError(error);
        errorCode = answer.code;
        if (answer.status >= 500) options.log({ type: 'error', time: new Date().toISOString(), message: `${method} ${req.url ?? ''}: ${(error as Error).message}` });
        // An unread body (a refused upload) is not worth receiving: end the connection instead.
        if (!req.complete) res.setHeader('Connection', 'close');
        sendError(res, answer, head);
      }
    })();
  };
}
