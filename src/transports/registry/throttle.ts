import { Transform } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError } from '../../errors.ts';

/**
 * A token bucket: `rate` tokens per second, holding at most one second's
 * worth, so bursts stay short. Shared by every request or stream to one
 * registry, which makes the cap per registry rather than per transfer.
 */
export class TokenBucket {
  private readonly rate: number;
  private tokens: number;
  private last = performance.now();
  /** Waiters are served in order, so one large take cannot starve others forever. */
  private queue: Promise<void> = Promise.resolve();

  constructor(rate: number) {
    this.rate = rate;
    this.tokens = rate;
  }

  private refill(): void {
    const now = performance.now();
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
        if (need > 0) await sleep(Math.max(5, (Math.min(need, this.rate) / this.rate) * 1000), undefined, { signal }).catch(() => undefined);
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
