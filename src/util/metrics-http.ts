import type { ServerResponse } from 'node:http';

/** Prometheus text as prom-client renders it. */
export interface MetricsText {
  contentType: string;
  text: string;
}

/** Answers a scrape: the exposition text with its content type (headers only for HEAD). */
export function sendMetrics(res: ServerResponse, metrics: MetricsText, head: boolean): void {
  const body = Buffer.from(metrics.text);
  res.writeHead(200, { 'Content-Type': metrics.contentType, 'Content-Length': body.byteLength, 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}
