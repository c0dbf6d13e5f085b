import { setTimeout as sleep } from 'node:timers/promises';
import { defaultJitterMs, untilNext, type Schedule } from './schedule.ts';

/** A rate-limited cycle waits at least this long before the next … */
export const MIN_BACKOFF_MS = 30_000;
/** … doubling with each rate-limited cycle in a row, up to this. */
export const MAX_BACKOFF_MS = 6 * 3_600_000;

/** Timers cannot wait longer (2^31 − 1 ms, about 24 days); a longer wait is cut to this and the schedule asked again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What one cycle reports to the loop. */
export interface CycleOutcome {
  ok: boolean;
  /** A registry answered 429 or said its rate limit is spent (`RateLimit-Remaining: 0`); `waitMs` when it said how long. */
  rateLimited?: { waitMs?: number | undefined } | undefined;
}

export interface WatchWait {
  ms: number;
  /** `backoff`: longer than the schedule because the last cycle was rate limited. */
  reason: 'schedule' | 'backoff';
  /** When the next cycle starts, unless woken. */
  at: Date;
}

export interface WatchLoopOptions {
  schedule: Schedule;
  /** Up to this much is added to each wait at random (default: 10 % of the wait, at most a minute); 0 for none. */
  jitterMs?: number | undefined;
  /** Runs cycle `n`; a failure it cannot handle rejects (and ends the loop). Cancelled through `signal`. */
  cycle: (n: number, signal: AbortSignal) => Promise<CycleOutcome>;
  /** Ends the loop: the running cycle is cancelled, a wait cut short. */
  signal?: AbortSignal | undefined;
  onWait?: ((wait: WatchWait) => void) | undefined;
  /** For tests: the jitter's randomness. */
  random?: (() => number) | undefined;
}

/** The wait before the next cycle: the schedule's, stretched by backoff after rate-limited cycles, plus jitter. */
export function nextWait(schedule: Schedule, now: number, rateLimitedInARow: number, serverWaitMs: number | undefined, jitterMs: number | undefined, random: () => number): Omit<WatchWait, 'at'> {
  let ms = untilNext(schedule, now);
  let reason: WatchWait['reason'] = 'schedule';
  if (rateLimitedInARow > 0) {
    const backoff = Math.min(MAX_BACKOFF_MS, Math.max(ms, MIN_BACKOFF_MS) * 2 ** rateLimitedInARow);
    ms = Math.max(ms, backoff, Math.min(serverWaitMs ?? 0, MAX_BACKOFF_MS));
    reason = 'backoff';
  }
  return { ms: ms + Math.round(random() * (jitterMs ?? defaultJitterMs(ms))), reason };
}

/**
 * Runs cycles one after another until `signal` fires: never two at once (a
 * cycle that outlasts the interval delays the next; `--interval` is the rest
 * between the end of one and the start of the next), a backoff after
 * rate-limited cycles, jitter so replicas spread out. {@link wake} starts the
 * next cycle now (SIGHUP), or right after the running one.
 */
export class WatchLoop {
  readonly #options: WatchLoopOptions;
  #waking: AbortController | undefined;
  #pending = false;

  constructor(options: WatchLoopOptions) {
    this.#options = options;
  }

  /** Start the next cycle now; during a cycle, right after it. */
  wake(): void {
    if (this.#waking) this.#waking.abort();
    else this.#pending = true;
  }

  /** Resolves when `signal` fires and the running cycle has ended. */
  async run(): Promise<void> {
    const { schedule, cycle, onWait } = this.#options;
    const signal = this.#options.signal ?? new AbortController().signal;
    const random = this.#options.random ?? Math.random;
    let limitedInARow = 0;
    for (let n = 1; !signal.aborted; n++) {
      this.#pending = false;
      const outcome = await cycle(n, signal);
      if (signal.aborted) return;
      limitedInARow = outcome.rateLimited ? limitedInARow + 1 : 0;
      if (this.#pending) continue;
      const wait = nextWait(schedule, Date.now(), limitedInARow, outcome.rateLimited?.waitMs, this.#options.jitterMs, random);
      onWait?.({ ...wait, at: new Date(Date.now() + wait.ms) });
      this.#waking = new AbortController();
      try {
        await sleep(Math.min(wait.ms, MAX_TIMER_MS), undefined, { signal: AbortSignal.any([signal, this.#waking.signal]) });
      } catch {
        // Woken, or stopping: the loop condition tells which.
      } finally {
        this.#waking = undefined;
      }
    }
  }
}
