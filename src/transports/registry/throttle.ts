import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../../errors.ts';

/** Where a bucket reads the time and waits; tests pass a fake one. */
export interface BucketClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const realClock: BucketClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * A token bucket: `rate` tokens per second, holding at most one second's
 * worth, so bursts stay short. Shared by every request or stream to one
 * registry, which makes the cap per registry rather than per transfer.
 */
export class TokenBucket {
  private readonly rate: number;
  private readonly clock: BucketClock;
  private tokens: number;
  private last: number;
  /** Waiters are served in order, so one large take cannot starve others forever. */
  private queue: Promise<void> = Promise.resolve();

  constructor(rate: number, clock: BucketClock = realClock) {
    this.rate = rate;
    this.clock = clock;
    this.tokens = rate;
    this.last = clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
  }

  /** Waits until `amount` tokens are available and takes them. */
  take(amount: number, signal?: AbortSignal): Promise<void> {
    const run = this.queue.then(async () => {
      let need = amount;
      while (need > 0) {
        if (signal?.aborted) throw abortError(signal);
        this.refill();
        const grant = Math.min(need, this.tokens);
        this.tokens -= grant;
        need -= grant;
        if (need > 0) await this.clock.sleep(Math.max(5, (Math.min(need, this.rate) / this.rate) * 1000), signal);
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** A pass-through that paces bytes through a bucket (bandwidth caps). */
export function throttled(bucket: TokenBucket, signal?: AbortSignal): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, callback) {
      bucket.take(chunk.length, signal).then(() => callback(null, chunk), (err: unknown) => callback(err as Error));
    },
  });
}
