import { setTimeout as sleep } from 'node:timers/promises';
import { abortError, isRetryable, type FerryError } from '../errors.ts';

/** How often and how patiently to retry. */
export interface RetryPolicy {
  /** Extra attempts after the first (`--retry-times`). */
  retries: number;
  /** First backoff; doubles per attempt. */
  baseDelayMs: number;
  /** Upper bound of one wait, including server-requested ones. */
  maxDelayMs: number;
}

/** Three retries, as containers/common's default, with waits from ~0.5 s up to 30 s. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** The default policy with the user's `--retry-times` when given. */
export function retryPolicy(retries?: number | undefined): RetryPolicy {
  return retries === undefined ? DEFAULT_RETRY_POLICY : { ...DEFAULT_RETRY_POLICY, retries };
}

/**
 * Milliseconds a response asks us to wait: `Retry-After` (seconds or an HTTP
 * date), else Docker Hub's `RateLimit-Reset` / `X-RateLimit-Reset` when the
 * remaining count is exhausted.
 */
export function serverDelayMs(headers: Record<string, string | string[] | undefined>, now = Date.now()): number | undefined {
  const first = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const retryAfter = first('retry-after');
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const remaining = first('ratelimit-remaining') ?? first('x-ratelimit-remaining');
  const reset = first('ratelimit-reset') ?? first('x-ratelimit-reset');
  if (remaining !== undefined && reset !== undefined && Number.parseInt(remaining, 10) === 0) {
    const value = Number(reset);
    if (Number.isFinite(value)) {
      // Seconds until reset, or an epoch timestamp when implausibly large for a delta.
      return value > 1e9 ? Math.max(0, value * 1000 - now) : value * 1000;
    }
  }
  return undefined;
}

/**
 * Whether a response says the client's request budget is spent: 429, or
 * Docker Hub's `RateLimit-Remaining: 0` (`0;w=21600`) on any answer — the
 * next request would be refused.
 */
export function rateLimitExhausted(status: number, headers: Record<string, string | string[] | undefined>): boolean {
  if (status === 429) return true;
  const value = headers['ratelimit-remaining'] ?? headers['x-ratelimit-remaining'];
  const first = Array.isArray(value) ? value[0] : value;
  return first !== undefined && Number.parseInt(first, 10) === 0;
}

/** Exponential backoff with full jitter: a random wait in [base·2^attempt / 2, base·2^attempt]. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

export interface RetryEvent {
  attempt: number;
  delayMs: number;
  error: FerryError;
}

/**
 * Runs `operation` until it succeeds, a non-retryable error occurs, or the
 * policy is exhausted. Errors that are not FerryErrors are not retried: they
 * are bugs, not weather.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  options: { policy: RetryPolicy; signal?: AbortSignal | undefined; onRetry?: ((event: RetryEvent) => void) | undefined },
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (err) {
      if (!isRetryable(err) || attempt >= options.policy.retries) throw err;
      if (options.signal?.aborted) throw abortError(options.signal);
      const requested = err.http?.retryAfterMs;
      const delayMs = Math.min(options.policy.maxDelayMs, Math.max(requested ?? 0, backoffMs(attempt, options.policy)));
      options.onRetry?.({ attempt: attempt + 1, delayMs, error: err });
      try {
        await sleep(delayMs, undefined, { signal: options.signal });
      } catch {
        throw abortError(options.signal);
      }
    }
  }
}
