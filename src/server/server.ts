import { createServer as createHttpServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIPv6 } from 'node:net';
import { FerryError } from '../errors.ts';
import { openLayoutStore } from '../transports/layout/layout-store.ts';
import { formatLogEvent, type LogFormat, type ServerLogEvent } from './access-log.ts';
import { basicAuthenticator, loadHtpasswd } from './auth.ts';
import { layoutBackend } from './backend/layout/layout-backend.ts';
import type { ImportHistoryBackend, RegistryBackend, SignatureBackend } from './backend/registry-backend.ts';
import { createRegistryHandler } from './handler.ts';
import { loadServerTls } from './server-tls.ts';
import type { SignatureVerifier } from './ui/signature-verifier.ts';
import { createWebUi } from './ui/web-ui.ts';
import { uploadLimits, type UploadLimits } from './uploads/upload-limits.ts';
import { UploadSessions } from './uploads/upload-sessions.ts';
import { parseListenAddress } from '../util/listen-address.ts';
import { ServerMetrics } from './metrics/server-metrics.ts';

/** Where `ferry serve` listens unless told otherwise: loopback only, the registry port clients expect. */
export const DEFAULT_ADDR = '127.0.0.1:5000';
/** How long shutdown waits for in-flight requests (a large pull) before cutting connections. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 30_000;
/** Headers must arrive promptly; bodies (multi-GiB blobs) may take as long as they need. */
const HEADERS_TIMEOUT_MS = 60_000;

export interface ServeOptions {
  /** `host:port`, `[v6]:port` or `:port` (all interfaces); port 0 picks a free one. Default {@link DEFAULT_ADDR}. */
  addr?: string | undefined;
  /** OCI layout directory to serve; an empty or missing one becomes a new store, an existing layout is served as is. */
  storage?: string | undefined;
  /** Serve this backend instead of a layout store at `storage` (exactly one of the two). The caller closes it. */
  backend?: RegistryBackend | undefined;
  /** Refuse every write with 405 UNSUPPORTED. */
  readOnly?: boolean | undefined;
  /** Allow blob DELETE (off by default, as distribution's `storage.delete.enabled`); manifest and tag DELETE are always allowed on a writable server. */
  enableDelete?: boolean | undefined;
  /** Caps and expiry of chunked uploads; see {@link UploadLimits} for the defaults. */
  uploadLimits?: Partial<UploadLimits> | undefined;
  /** htpasswd file of bcrypt entries: Basic auth for every request. */
  htpasswd?: string | undefined;
  /** PEM certificate (chain) and key: serve HTTPS. Both or neither. */
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** Format of the `line` passed to {@link onLog} (default text). */
  logFormat?: LogFormat | undefined;
  /** Receives every log event with its formatted line; the library itself never prints. */
  onLog?: ((line: string, event: ServerLogEvent) => void) | undefined;
  /** Aborting it shuts the server down gracefully (the CLI wires SIGINT/SIGTERM to it). */
  signal?: AbortSignal | undefined;
  /** See {@link DEFAULT_SHUTDOWN_TIMEOUT_MS}. */
  shutdownTimeoutMs?: number | undefined;
  /** fsync blobs and index writes (default true). */
  fsync?: boolean | undefined;
  /** Serve Prometheus metrics at `/metrics` (request counts, latencies, bytes served), under the same authentication. */
  metrics?: boolean | undefined;
  /** Serve the web UI at `/` (default true); false leaves every path outside `/v2/` a 404. */
  ui?: boolean | undefined;
  /** The bundle-import record of the store at `storage`, for the UI's Bundles page (the mirror code reads it; the server may not). */
  imports?: ImportHistoryBackend | undefined;
  /** Judges signatures for the UI ("verified"); without it the UI shows only which are present. */
  signatureVerifier?: SignatureVerifier | undefined;
  /** The GPG signatures of the store at `storage`, to serve as a lookaside under `/sigstore/` (the signature code reads them; the server may not). */
  signatures?: SignatureBackend | undefined;
}

export interface RunningServer {
  /** `http://127.0.0.1:5000` or `https://…`. */
  url: string;
  /** `host:port` as image references spell it (`127.0.0.1:5000`, `[::1]:5000`). */
  host: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (bounded), drops unfinished uploads. Idempotent. */
  close(): Promise<void>;
  /** Settles when the server has shut down, however that was triggered. */
  closed: Promise<void>;
}

/** Splits `--addr`; throws USAGE for anything else. */
export function parseAddr(addr: string): { host: string; port: number } {
  return parseListenAddress(addr, '--addr');
}

/**
 * Starts the embedded OCI registry over an OCI layout store (or any
 * {@link RegistryBackend}) and resolves once it listens. Open by default on
 * the address given: `htpasswd` adds Basic auth, `readOnly` refuses writes,
 * blob DELETE needs `enableDelete`, and uploads are capped per client and per
 * repository. See README "ferry serve" for the security model.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { host, port } = parseAddr(options.addr ?? DEFAULT_ADDR);
  const format = options.logFormat ?? 'text';
  const metrics = options.metrics ? new ServerMetrics() : undefined;
  const log = (event: ServerLogEvent): void => {
    metrics?.observe(event);
    try {
      options.onLog?.(formatLogEvent(event, format), event);
    } catch {
      // A failing log sink must not fail requests.
    }
  };
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new FerryError('USAGE', '--tls-cert and --tls-key go together');
  }
  if (options.storage !== undefined && options.backend !== undefined) {
    throw new FerryError('USAGE', 'serve takes a storage directory or a backend, not both');
  }
  const limits = uploadLimits(options.uploadLimits);
  const tls = options.tlsCert !== undefined && options.tlsKey !== undefined ? await loadServerTls(options.tlsCert, options.tlsKey) : undefined;
  const authenticate = options.htpasswd === undefined ? undefined : basicAuthenticator(await loadHtpasswd(options.htpasswd));
  const owned = options.backend === undefined;
  let backend = options.backend;
  if (backend === undefined) {
    if (options.storage === undefined) throw new FerryError('USAGE', 'serve needs a storage directory or a backend');
    backend = layoutBackend(await openLayoutStore(options.storage, { create: !options.readOnly, fsync: options.fsync, signal: options.signal }), { imports: options.imports, signatures: options.signatures });
  }
  const uploads = backend.uploads && !options.readOnly ? new UploadSessions(backend.uploads, limits) : undefined;
  const ui = options.ui === false ? undefined : await createWebUi({ backend, readOnly: options.readOnly ?? false, tls: tls !== undefined, verifier: options.signatureVerifier });
  const handler = createRegistryHandler({ backend, uploads, readOnly: options.readOnly ?? false, enableDelete: options.enableDelete ?? false, authenticate, ui, metrics, log });
  const release = async (): Promise<void> => {
    ui?.close();
    await uploads?.closeAll();
    if (owned) await backend.close?.();
  };

  let inFlight = 0;
  let closing: Promise<void> | undefined;
  const counted = (req: IncomingMessage, res: ServerResponse): void => {
    inFlight++;
    // Once shutting down, no connection is kept alive for another request.
    if (closing) res.setHeader('Connection', 'close');
    res.once('close', () => {
      inFlight--;
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    handler(req, res);
  };
  const serverOptions = { requestTimeout: 0, headersTimeout: HEADERS_TIMEOUT_MS };
  const server: Server = tls ? createHttpsServer({ ...serverOptions, ...tls }, counted) : createHttpServer(serverOptions, counted);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      release().catch(() => undefined);
      reject(new FerryError('NETWORK', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, {
        hint: error.code === 'EADDRINUSE' ? 'another process uses this port; pick another with --addr' : undefined,
        cause: error,
      }));
    });
    server.listen(port, host, () => resolve());
  });
  server.on('error', (error) => log({ type: 'error', time: new Date().toISOString(), message: error.message }));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });

  const address = server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const urlHost = host === '0.0.0.0' || host === '' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const hostPort = `${isIPv6(urlHost) ? `[${urlHost}]` : urlHost}:${boundPort}`;
  const url = `${tls ? 'https' : 'http'}://${hostPort}`;
  log({ type: 'listening', time: new Date().toISOString(), url, storage: backend.description, readOnly: options.readOnly ?? false, auth: authenticate !== undefined });

  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
  const close = (): Promise<void> => {
    closing ??= (async () => {
      log({ type: 'shutdown', time: new Date().toISOString(), inFlight });
      const done = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), options.shutdownTimeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS);
      await done;
      clearTimeout(timer);
      await release();
      resolveClosed();
    })();
    return closing;
  };
  if (options.signal) {
    if (options.signal.aborted) void close();
    else options.signal.addEventListener('abort', () => void close(), { once: true });
  }
  return { url, host: hostPort, port: boundPort, close, closed };
}
