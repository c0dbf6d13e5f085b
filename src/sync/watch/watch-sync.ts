import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { FerryError } from '../../errors.ts';
import { httpChannel, type HttpDebugMessage } from '../../util/debug-channels.ts';
import type { SyncSpec } from '../config/sync-spec.ts';
import { sync, type SyncOptions, type SyncResult } from '../sync.ts';
import { startMetricsServer, type RunningMetricsServer } from './metrics-server.ts';
import type { Schedule } from './schedule.ts';
import { SyncMetrics } from './sync-metrics.ts';
import { WatchLoop, type CycleOutcome, type WatchWait } from './watch-loop.ts';

/** A cycle with no HTTP answer, event or result for this long is stalled: `/healthz` fails so an orchestrator restarts ferry. */
export const DEFAULT_STALL_MS = 10 * 60_000;

export interface WatchSyncOptions extends Omit<SyncOptions, 'signal' | 'dryRun' | 'record'> {
  /** Reads the sync input; called at the start of every cycle, so edits apply without a restart. */
  load: (signal: AbortSignal) => Promise<SyncSpec>;
  schedule: Schedule;
  /** See {@link WatchLoopOptions.jitterMs}. */
  jitterMs?: number | undefined;
  /** Serve `/metrics`, `/healthz` and `/readyz` here (`--metrics-addr HOST:PORT`). */
  metricsAddr?: string | undefined;
  /** See {@link DEFAULT_STALL_MS}. */
  stallMs?: number | undefined;
  /** Stops watching: the running cycle is abandoned (nothing partial becomes visible) and {@link SyncWatcher.run} resolves. */
  signal?: AbortSignal | undefined;
  onWatch?: ((event: WatchEvent) => void) | undefined;
}

/** What the watcher reports between and around cycles; the library never prints. */
export type WatchEvent =
  | { type: 'metrics'; url: string }
  | { type: 'cycle-start'; cycle: number }
  /** The input could not be read; the cycle runs with the last input that could, if any. */
  | { type: 'config-error'; cycle: number; error: FerryError; kept: boolean }
  /** `result` when the sync ran to its end (failed images are in its report), `error` when the cycle failed as a whole. */
  | { type: 'cycle-end'; cycle: number; ok: boolean; durationMs: number; result?: SyncResult | undefined; error?: FerryError | undefined; rateLimited: boolean }
  | { type: 'wait'; wait: WatchWait };

/**
 * `ferry sync --watch`: the sync (and prune) of an input again and again on a
 * schedule — the input re-read every cycle, no two cycles at once, a backoff
 * when registries rate-limit, Prometheus metrics and health endpoints. A
 * cycle is one run of the one run engine; a failed one is reported and the
 * next comes on schedule.
 */
export class SyncWatcher {
  readonly metrics = new SyncMetrics();
  readonly #options: WatchSyncOptions;
  readonly #loop: WatchLoop;
  #lastGood: SyncSpec | undefined;
  #succeeded = false;
  #running = false;
  #activity = Date.now();

  constructor(options: WatchSyncOptions) {
    this.#options = options;
    this.#loop = new WatchLoop({
      schedule: options.schedule,
      jitterMs: options.jitterMs,
      signal: options.signal,
      cycle: (n, signal) => this.#cycle(n, signal),
      onWait: (wait) => {
        if (wait.reason === 'backoff') this.metrics.rateLimitWait();
        options.onWatch?.({ type: 'wait', wait });
      },
    });
  }

  /** Re-read the input and run a cycle now (SIGHUP); during a cycle, right after it. */
  wake(): void {
    this.#loop.wake();
  }

  /** `/readyz`: a cycle has succeeded. */
  get ready(): boolean {
    return this.#succeeded;
  }

  /** `/healthz`: no cycle is stalled. */
  get healthy(): boolean {
    return !this.#running || Date.now() - this.#activity < (this.#options.stallMs ?? DEFAULT_STALL_MS);
  }

  /** Watches until the signal fires; the metrics endpoint (if any) lives as long. */
  async run(): Promise<void> {
    let server: RunningMetricsServer | undefined;
    if (this.#options.metricsAddr !== undefined) {
      server = await startMetricsServer({ addr: this.#options.metricsAddr, render: () => this.metrics.render(), healthy: () => this.healthy, ready: () => this.ready });
      this.#options.onWatch?.({ type: 'metrics', url: server.url });
    }
    try {
      await this.#loop.run();
    } finally {
      await server?.close();
    }
  }

  async #spec(n: number, signal: AbortSignal): Promise<SyncSpec | undefined> {
    try {
      this.#lastGood = await this.#options.load(signal);
    } catch (error) {
      if (!(error instanceof FerryError) || signal.aborted) throw error;
      this.#options.onWatch?.({ type: 'config-error', cycle: n, error, kept: this.#lastGood !== undefined });
    }
    return this.#lastGood;
  }

  async #cycle(n: number, signal: AbortSignal): Promise<CycleOutcome> {
    const { onWatch } = this.#options;
    const started = Date.now();
    let rateLimited: { waitMs?: number | undefined } | undefined;
    const onHttp = (message: unknown): void => {
      this.#activity = Date.now();
      const m = message as HttpDebugMessage;
      if (m.status === 429) this.metrics.rateLimitWait();
      if (m.rateLimited) rateLimited = { waitMs: Math.max(rateLimited?.waitMs ?? 0, m.waitMs ?? 0) || undefined };
    };
    this.#running = true;
    this.#activity = started;
    this.metrics.cycleStarted();
    onWatch?.({ type: 'cycle-start', cycle: n });
    subscribe(httpChannel.name, onHttp);
    let result: SyncResult | undefined;
    let error: FerryError | undefined;
    try {
      const spec = await this.#spec(n, signal);
      if (spec === undefined) throw new FerryError('INVALID_CONFIG', 'no sync input could be read yet');
      const { load: _load, schedule: _schedule, jitterMs: _jitter, metricsAddr: _addr, stallMs: _stall, onWatch: _onWatch, ...syncOptions } = this.#options;
      result = await sync(spec, {
        ...syncOptions,
        signal,
        onEvent: (event) => {
          this.#activity = Date.now();
          this.metrics.event(event);
          syncOptions.onEvent?.(event);
        },
        onItem: (item) => {
          this.#activity = Date.now();
          this.metrics.item(item);
          syncOptions.onItem?.(item);
        },
        onDeletion: (deletion) => {
          this.metrics.deletion(deletion);
          syncOptions.onDeletion?.(deletion);
        },
      });
    } catch (caught) {
      // Stopping: the cycle is abandoned, not failed; nothing it did not finish is visible.
      if (signal.aborted) return { ok: false };
      if (!(caught instanceof FerryError)) throw caught;
      error = caught;
    } finally {
      unsubscribe(httpChannel.name, onHttp);
      this.#running = false;
    }
    // Stopping: the cycle is abandoned, not failed (sync returns a cancelled run's report rather than throwing).
    if (signal.aborted) return { ok: false };
    const ok = result !== undefined && result.stoppedBy === undefined && result.report.totals.failed === 0 && !result.prune?.stoppedBy && !result.prune?.deletions.some((d) => d.status === 'failed');
    const ended = new Date();
    this.metrics.cycleEnded((ended.getTime() - started) / 1000, ok, ended);
    if (ok) this.#succeeded = true;
    onWatch?.({ type: 'cycle-end', cycle: n, ok, durationMs: ended.getTime() - started, result, error, rateLimited: rateLimited !== undefined });
    return { ok, rateLimited };
  }
}
