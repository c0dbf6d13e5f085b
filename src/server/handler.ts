import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerLogEvent } from './access-log.ts';
import { AUTH_REALM, type Authenticator } from './auth.ts';
import type { RegistryBackend } from './backend/registry-backend.ts';
import { deleteBlob, getBlob } from './handlers/blob-handlers.ts';
import { listCatalog, listReferrers, listTags } from './handlers/listing-handlers.ts';
import { getLookasideSignature } from './handlers/lookaside-handler.ts';
import { deleteManifest, getManifest, putManifest } from './handlers/manifest-handlers.ts';
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './handlers/upload-handlers.ts';
import { sendJson, type RequestContext } from './http-util.ts';
import { RegistryError, sendError, toRegistryError } from './registry-error.ts';
import { hasDotSegment, matchRoute, type Route } from './route.ts';
import type { UploadSessions } from './uploads/upload-sessions.ts';
import { isUiPath } from './ui/ui-paths.ts';
import { METRICS_PATH } from './metrics/server-metrics.ts';
import { sendMetrics, type MetricsText } from '../util/metrics-http.ts';
import type { WebUi } from './ui/web-ui.ts';
import { isValidRepository } from '../transports/layout/layout-names.ts';

export interface HandlerOptions {
  backend: RegistryBackend;
  /** Undefined when the backend takes no uploads. */
  uploads: UploadSessions | undefined;
  readOnly: boolean;
  /** Allow blob DELETE (off by default, as in distribution). */
  enableDelete: boolean;
  authenticate?: Authenticator | undefined;
  /** Answers `GET /metrics` (`ferry serve --metrics`), after authentication like every other path. */
  metrics?: { render(): Promise<MetricsText> } | undefined;
  /** The web UI, answering every path outside `/v2/`; undefined: those paths are 404. */
  ui?: WebUi | undefined;
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
    case 'lookaside':
      if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
      return getLookasideSignature(ctx, name, route.digest, route.index);
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

function now(): string {
  return new Date().toISOString();
}

/**
 * The registry as a node:http request listener: path checks, authentication,
 * read-only enforcement, routing, error bodies and one access-log event per
 * request. Paths outside `/v2/` go to the web UI when there is one, behind
 * the same path checks and authentication (the UI never writes). Nothing a request does can take the process down: every failure,
 * including one in the listener's own bookkeeping, ends that request only and
 * is logged.
 */
export function createRegistryHandler(options: HandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const lastResort = (req: IncomingMessage, res: ServerResponse, error: unknown): void => {
    try {
      options.log({ type: 'error', time: now(), message: `${req.method ?? ''} ${req.url ?? ''}: internal error: ${(error as Error | undefined)?.message ?? String(error)}` });
    } catch {
      // Logging failed too: ending the request is all that is left.
    }
    if (!res.headersSent && !res.destroyed) {
      try {
        sendError(res, new RegistryError(500, 'UNSUPPORTED', 'internal error'), req.method === 'HEAD');
        return;
      } catch {
        // fall through to destroy
      }
    }
    res.destroy();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    // Read now: once the response is done, Node may have released the socket (req.socket is then null).
    const remote = req.socket?.remoteAddress ?? '';
    let user: string | undefined;
    let errorCode: string | undefined;
    const aborter = new AbortController();
    res.once('close', () => {
      try {
        if (!res.writableFinished) aborter.abort();
        // Ended means every byte was written and acknowledged (blob bodies end only after their last write's callback).
        // 'finish' can come after 'close' when a client hangs up the moment it has the last byte, so it cannot judge that.
        options.log({
          type: 'request', time: now(), method, path: req.url ?? '', status: res.statusCode,
          bytes: Number(res.getHeader('Content-Length') ?? 0) || 0, durationMs: Math.round(performance.now() - started),
          remote, user, error: errorCode, ...(res.writableEnded ? {} : { complete: false }),
        });
      } catch (error) {
        lastResort(req, res, error);
      }
    });
    // A response can still emit 'error' (a write after the socket went); unheard, that would end the process.
    res.on('error', (error) => lastResort(req, res, error));
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    // Set once the path is known: the UI's errors are pages, the API's JSON.
    let forUi = false;
    void (async () => {
      try {
        const target = req.url ?? '/';
        if (hasDotSegment(target)) throw new RegistryError(400, 'UNSUPPORTED', 'a request path may not contain "." or ".." segments');
        let url: URL;
        try {
          url = new URL(target, 'http://registry.invalid');
        } catch {
          throw new RegistryError(400, 'UNSUPPORTED', 'malformed request URL');
        }
        forUi = options.ui !== undefined && isUiPath(url.pathname);
        if (options.authenticate) {
          user = await options.authenticate(req.headers.authorization);
          if (user === undefined) {
            throw new RegistryError(401, 'UNAUTHORIZED', 'authentication required', { headers: { 'WWW-Authenticate': `Basic realm="${AUTH_REALM}"` } });
          }
        }
        if (options.metrics && url.pathname === METRICS_PATH) {
          forUi = false;
          if (!READ_METHODS.has(method)) throw methodNotAllowed(method, 'GET, HEAD');
          sendMetrics(res, await options.metrics.render(), head);
          return;
        }
        if (forUi) {
          await options.ui!.handle({ req, res, url, head, signal: aborter.signal });
          return;
        }
        const route = matchRoute(url.pathname);
        if (options.readOnly && !READ_METHODS.has(method) && route.kind !== 'unknown') {
          throw new RegistryError(405, 'UNSUPPORTED', 'the registry is read-only', { headers: { Allow: 'GET, HEAD' } });
        }
        const ctx: RequestContext = {
          req, res, url, head, backend: options.backend, uploads: options.uploads,
          client: user === undefined ? `address ${remote}` : `user ${user}`, enableDelete: options.enableDelete, signal: aborter.signal,
        };
        await dispatch(ctx, route, method);
      } catch (error) {
        if (aborter.signal.aborted || res.destroyed) return; // the client went away: nobody to answer
        const answer = toRegistryError(error);
        errorCode = answer.code;
        if (answer.status >= 500) options.log({ type: 'error', time: now(), message: `${method} ${req.url ?? ''}: ${(error as Error).message}` });
        // An unread body (a refused upload) is not worth receiving: end the connection instead.
        if (!req.complete) res.setHeader('Connection', 'close');
        if (forUi) options.ui!.sendError(res, answer, head);
        else sendError(res, answer, head);
      }
    })().catch((error: unknown) => lastResort(req, res, error));
  };

  return (req, res) => {
    try {
      handle(req, res);
    } catch (error) {
      lastResort(req, res, error);
    }
  };
}
