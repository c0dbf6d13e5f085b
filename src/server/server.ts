import { readFile } from 'node:fs/promises';
import { createServer as createHttpServer, type Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIPv6 } from 'node:net';
import { FerryError } from '../errors.ts';
import { openLayoutStore } from '../transports/layout/layout-store.ts';
import { formatLogEvent, type LogFormat, type ServerLogEvent } from './access-log.ts';
import { basicAuthenticator, loadHtpasswd } from './auth.ts';
import { createRegistryHandler } from './handler.ts';
import { RegistryStorage } from './registry-storage.ts';
import { UploadSessions } from './upload-sessions.ts';

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
  storage: string;
  /** Refuse every write with 405 UNSUPPORTED. */
  readOnly?: boolean | undefined;
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
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new FerryError('USAGE', `invalid --addr "${addr}": expected HOST:PORT, [IPv6]:PORT or :PORT`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/**
 * Starts the embedded OCI registry over an OCI layout store and resolves once
 * it listens. See issue 4 and src/server/*.ts for the protocol details.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const { host, port } = parseAddr(options.addr ?? DEFAULT_ADDR);
  const format = options.logFormat ?? 'text';
  const log = (event: ServerLogEvent): void => options.onLog?.(formatLogEvent(event, format), event);
  if ((options.tlsCert === undefined) !== (options.tlsKey === undefined)) {
    throw new FerryError('USAGE', '--tls-cert and --tls-key go together');
  }
  const store = await openLayoutStore(options.storage, { create: !options.readOnly, fsync: options.fsync, signal: options.signal });
  const authenticate = options.htpasswd === undefined ? undefined : basicAuthenticator(await loadHtpasswd(options.htpasswd));
  const uploads = new UploadSessions(store);
  const handler = createRegistryHandler({ storage: new RegistryStorage(store), uploads, readOnly: options.readOnly ?? false, authenticate, log });

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
  let server: Server;
  if (options.tlsCert !== undefined && options.tlsKey !== undefined) {
    const [cert, key] = await Promise.all([readFile(options.tlsCert), readFile(options.tlsKey)]).catch((error: unknown) => {
      throw new FerryError('INVALID_CONFIG', `cannot read TLS certificate or key: ${(error as Error).message}`, { cause: error });
    });
    server = createHttpsServer({ ...serverOptions, cert, key }, counted);
  } else {
    server = createHttpServer(serverOptions, counted);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      uploads.closeAll().catch(() => undefined);
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
  const url = `${options.tlsCert !== undefined ? 'https' : 'http'}://${hostPort}`;
  log({ type: 'listening', time: new Date().toISOString(), url, storage: store.dir, readOnly: options.readOnly ?? false, auth: authenticate !== undefined });

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
      await uploads.closeAll();
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
