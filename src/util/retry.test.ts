import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import { backoffMs, serverDelayMs, withRetry, type RetryPolicy } from './retry.ts';

const NOW = Date.parse('2026-01-01T00:00:00Z');

test('serverDelayMs reads Retry-After and Docker Hub rate-limit headers', () => {
  const cases: Array<[Record<string, string>, number | undefined]> = [
    [{ 'retry-after': '3' }, 3000],
    [{ 'retry-after': '0' }, 0],
    [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }, 5000],
    [{ 'retry-after': 'Wed, 31 Dec 2025 23:59:00 GMT' }, 0], // a date in the past: no wait
    [{ 'ratelimit-remaining': '0;w=21600', 'ratelimit-reset': '7' }, 7000],
    [{ 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(NOW / 1000 + 9) }, 9000], // an epoch timestamp
    [{ 'ratelimit-remaining': '12;w=21600', 'ratelimit-reset': '7' }, undefined], // requests left: no reason to wait
    [{ 'retry-after': 'soon' }, undefined],
    [{}, undefined],
  ];
  for (const [headers, expected] of cases) assert.equal(serverDelayMs(headers, NOW), expected, JSON.stringify(headers));
});

test('backoffMs grows exponentially with jitter and stays under the cap', () => {
  const policy: RetryPolicy = { retries: 10, baseDelayMs: 100, maxDelayMs: 1000 };
  for (let attempt = 0; attempt < 8; attempt++) {
    const ceiling = Math.min(1000, 100 * 2 ** attempt);
    for (let i = 0; i < 20; i++) {
      const delay = backoffMs(attempt, policy);
      assert.ok(delay >= ceiling / 2 && delay <= ceiling, `attempt ${attempt}: ${delay} outside [${ceiling / 2}, ${ceiling}]`);
    }
  }
});

const fast: RetryPolicy = { retries: 2, baseDelayMs: 1, maxDelayMs: 5 };

test('withRetry retries retryable errors up to the policy, honouring the server delay as a floor', async () => {
  const delays: number[] = [];
  let calls = 0;
  const result = await withRetry(
    async () => {
      calls++;
      if (calls < 3) throw new FerryError('TOO_MANY_REQUESTS', 'slow down', { retryable: true, http: { method: 'GET', url: 'x', retryAfterMs: 4 } });
      return 'done';
    },
    { policy: fast, onRetry: (e) => delays.push(e.delayMs) },
  );
  assert.equal(result, 'done');
  assert.equal(calls, 3);
  assert.deepEqual(delays, [4, 4], 'Retry-After (4 ms) wins over a shorter backoff, within the cap');
});

test('withRetry gives up after the policy, and never retries permanent errors or bugs', async () => {
  let calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw new FerryError('NETWORK', 'reset', { retryable: true });
    }, { policy: fast }),
    /reset/,
  );
  assert.equal(calls, 3, 'one try and two retries');

  calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw new FerryError('NOT_FOUND', 'manifest unknown');
    }, { policy: fast }),
    /manifest unknown/,
  );
  assert.equal(calls, 1);

  calls = 0;
  await assert.rejects(
    withRetry(async () => {
      calls++;
      throw new TypeError('a bug');
    }, { policy: fast }),
    TypeError,
  );
  assert.equal(calls, 1);
});

test('withRetry stops waiting when the signal fires', async () => {
  const controller = new AbortController();
  const slow: RetryPolicy = { retries: 5, baseDelayMs: 60_000, maxDelayMs: 60_000 };
  const run = withRetry(
    async () => {
      throw new FerryError('NETWORK', 'reset', { retryable: true });
    },
    { policy: slow, signal: controller.signal, onRetry: () => controller.abort() },
  );
  await assert.rejects(run, (err: unknown) => err instanceof FerryError && err.code === 'ABORTED');
});
