import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { CopyEvent } from '../../copy/events.ts';
import type { ItemResult } from '../engine/run-plan.ts';
import type { PruneDeletion } from '../prune/prune.ts';

/** Cycles last from a second (nothing to do) to hours (a first mirror of a large catalog). */
const CYCLE_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600];

/**
 * A destination as a metric label: the registry host (`docker://HOST/…` →
 * `docker://HOST`) or the layout (`oci:PATH:NAME` → `oci:PATH`), so the
 * number of series stays that of destinations, not of images.
 */
export function destinationLabel(destination: string): string {
  const registry = /^docker:\/\/([^/]+)/.exec(destination);
  if (registry) return `docker://${registry[1]}`;
  const layout = /^oci:([^:]*)/.exec(destination);
  if (layout) return `oci:${layout[1]}`;
  const colon = destination.indexOf(':');
  return colon > 0 ? destination.slice(0, colon) : destination;
}

/**
 * The Prometheus metrics of `ferry sync --watch`, in a registry of their own
 * (prom-client), fed from the run's results and events: images by
 * destination and outcome, bytes, mounted blobs, retries, rate-limit waits,
 * deletions, cycle durations and the last successful cycle. Plus the
 * process's own (CPU, memory, event loop).
 */
export class SyncMetrics {
  readonly registry = new Registry();
  readonly #images: Counter<'destination' | 'status'>;
  readonly #bytes: Counter<'destination'>;
  readonly #mounted: Counter;
  readonly #retries: Counter;
  readonly #rateLimitWaits: Counter;
  readonly #deletions: Counter<'destination' | 'status'>;
  readonly #cycles: Counter<'outcome'>;
  readonly #duration: Histogram;
  readonly #lastSuccess: Gauge;
  readonly #running: Gauge;

  constructor() {
    const registers = [this.registry];
    this.#images = new Counter({ name: 'ferry_sync_images_total', help: 'Images handled, by destination and outcome (copied, skipped, failed).', labelNames: ['destination', 'status'], registers });
    this.#bytes = new Counter({ name: 'ferry_sync_bytes_transferred_total', help: 'Blob bytes transferred to each destination.', labelNames: ['destination'], registers });
    this.#mounted = new Counter({ name: 'ferry_sync_blobs_mounted_total', help: 'Blobs mounted from another repository instead of uploaded.', registers });
    this.#retries = new Counter({ name: 'ferry_sync_retries_total', help: 'Requests and transfers retried after a failure that may pass.', registers });
    this.#rateLimitWaits = new Counter({ name: 'ferry_sync_rate_limit_waits_total', help: 'Waits because a registry rate-limited ferry: 429 answers, and cycles delayed by backoff.', registers });
    this.#deletions = new Counter({ name: 'ferry_sync_deletions_total', help: 'Prune deletions, by destination and outcome (deleted, failed, kept, not-run).', labelNames: ['destination', 'status'], registers });
    this.#cycles = new Counter({ name: 'ferry_sync_cycles_total', help: 'Watch cycles, by outcome (success, failure).', labelNames: ['outcome'], registers });
    this.#duration = new Histogram({ name: 'ferry_sync_cycle_duration_seconds', help: 'Duration of watch cycles.', buckets: CYCLE_BUCKETS, registers });
    this.#lastSuccess = new Gauge({ name: 'ferry_sync_last_success_timestamp_seconds', help: 'Unix time at which the last successful cycle ended (0: none yet).', registers });
    this.#running = new Gauge({ name: 'ferry_sync_cycle_running', help: '1 while a cycle runs.', registers });
    collectDefaultMetrics({ register: this.registry, prefix: 'ferry_' });
  }

  item(result: ItemResult): void {
    if (result.status === 'planned') return;
    const destination = destinationLabel(result.destination);
    this.#images.inc({ destination, status: result.status });
    if (result.bytes > 0) this.#bytes.inc({ destination }, result.bytes);
  }

  event(event: CopyEvent): void {
    if (event.type === 'blob-done' && event.outcome === 'mounted') this.#mounted.inc();
    else if (event.type === 'retry') this.#retries.inc();
  }

  deletion(deletion: PruneDeletion): void {
    if (deletion.status !== 'planned') this.#deletions.inc({ destination: destinationLabel(deletion.destination), status: deletion.status });
  }

  rateLimitWait(): void {
    this.#rateLimitWaits.inc();
  }

  cycleStarted(): void {
    this.#running.set(1);
  }

  cycleEnded(seconds: number, ok: boolean, endedAt: Date): void {
    this.#running.set(0);
    this.#duration.observe(seconds);
    this.#cycles.inc({ outcome: ok ? 'success' : 'failure' });
    if (ok) this.#lastSuccess.set(endedAt.getTime() / 1000);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
