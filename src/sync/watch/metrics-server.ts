import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIPv6 } from 'node:net';
import { FerryError } from '../../errors.ts';
import { parseListenAddress } from '../../util/listen-address.ts';
import { sendMetrics, type MetricsText } from '../../util/metrics-http.ts';

export interface MetricsServerOptions {
  /** `HOST:PORT` (`--metrics-addr`); port 0 picks a free one. */
  addr: string;
  render: () => Promise<MetricsText>;
  /** `/healthz`: false when the process should be restarted (a cycle stalled). */
  healthy: () => boolean;
  /** `/readyz`: true once a cycle has succeeded. */
  ready: () => boolean;
}

export interface RunningMetricsServer {
  /** `http://HOST:PORT`. */
  url: string;
  close(): Promise<void>;
}

function status(res: ServerResponse, ok: boolean, head: boolean): void {
  const body = ok ? 'ok\n' : 'not ok\n';
  res.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

/**
 * The HTTP endpoint of `--metrics-addr`: `/metrics` (Prometheus text),
 * `/healthz` (liveness) and `/readyz` (readiness), GET and HEAD only.
 * Nothing else is served; a failing render answers 500 and nothing more.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<RunningMetricsServer> {
  const { host, port } = parseListenAddress(options.addr, '--metrics-addr');
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Length': 0 }).end();
      return;
    }
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/metrics') sendMetrics(res, await options.render(), head);
    else if (path === '/healthz') status(res, options.healthy(), head);
    else if (path === '/readyz') status(res, options.ready(), head);
    else res.writeHead(404, { 'Content-Length': 0 }).end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'Content-Length': 0 });
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(new FerryError('NETWORK', `cannot listen on ${options.addr} for metrics: ${error.code ?? error.message}`, { cause: error, hint: error.code === 'EADDRINUSE' ? 'another process uses this port; pick another --metrics-addr' : undefined })),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : port;
  const shown = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${isIPv6(shown) ? `[${shown}]` : shown}:${bound}`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Scrapers keep connections alive; shutting down must not wait for them.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
