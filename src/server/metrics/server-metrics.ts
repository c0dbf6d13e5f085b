import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { MetricsText } from '../../util/metrics-http.ts';
import type { ServerLogEvent } from '../access-log.ts';
import { matchRoute } from '../route.ts';
import { isUiPath } from '../ui/ui-paths.ts';

/** Where the server answers scrapes (with `metrics`), behind the same authentication as everything else. */
export const METRICS_PATH = '/metrics';

/** Registry requests take from a millisecond (a HEAD) to minutes (a multi-GiB blob). */
const LATENCY_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * A request path as a label of few values: the distribution API route
 * (`manifest`, `blob`, `upload`, `tags`, `catalog`, `referrers`, `ping`,
 * `unknown`), `ui` or `metrics` — never a repository or digest, so the number
 * of series stays bounded.
 */
export function routeLabel(path: string): string {
  const pathname = path.split('?', 1)[0] ?? '';
  if (pathname === METRICS_PATH) return 'metrics';
  if (isUiPath(pathname)) return 'ui';
  return matchRoute(pathname).kind;
}

/**
 * `ferry serve --metrics`: request counts, latencies and bytes served, fed
 * from the access-log event each request ends with — nothing runs per chunk
 * of a blob being served — in a prom-client registry of their own, with the
 * process's metrics.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'method' | 'route' | 'status'>;
  readonly #latency: Histogram<'method' | 'route'>;
  readonly #bytes: Counter<'method' | 'route'>;

  constructor() {
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'ferry_serve_requests_total', help: 'Requests answered, by method, route and status.', labelNames: ['method', 'route', 'status'], registers });
    this.#latency = new Histogram({ name: 'ferry_serve_request_duration_seconds', help: 'Time from request to the end of the response.', labelNames: ['method', 'route'], buckets: LATENCY_BUCKETS, registers });
    this.#bytes = new Counter({ name: 'ferry_serve_response_bytes_total', help: 'Response body bytes served (complete responses; HEAD sends none).', labelNames: ['method', 'route'], registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'ferry_' });
  }

  /** Counts a finished request; other log events are ignored. */
  observe(event: ServerLogEvent): void {
    if (event.type !== 'request') return;
    const route = routeLabel(event.path);
    this.#requests.inc({ method: event.method, route, status: String(event.status) });
    this.#latency.observe({ method: event.method, route }, event.durationMs / 1000);
    if (event.method !== 'HEAD' && event.complete !== false && event.bytes > 0) this.#bytes.inc({ method: event.method, route }, event.bytes);
  }

  async render(): Promise<MetricsText> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
