import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cronSchedule, intervalSchedule, untilNext } from './schedule.ts';
import { MAX_BACKOFF_MS, MIN_BACKOFF_MS, WatchLoop, nextWait } from './watch-loop.ts';

const none = () => 0;

test('nextWait: the interval, plus jitter, unless rate limited', () => {
  const every = intervalSchedule(60_000);
  assert.deepEqual(nextWait(every, 0, 0, undefined, 0, none), { ms: 60_000, reason: 'schedule' });
  assert.deepEqual(nextWait(every, 0, 0, undefined, 5000, () => 0.5), { ms: 62_500, reason: 'schedule' });
  // Default jitter: 10 % of the wait, at most a minute.
  assert.deepEqual(nextWait(every, 0, 0, undefined, undefined, () => 1), { ms: 66_000, reason: 'schedule' });
  assert.deepEqual(nextWait(intervalSchedule(3_600_000), 0, 0, undefined, undefined, () => 1), { ms: 3_660_000, reason: 'schedule' });
});

test('nextWait: rate-limited cycles in a row back off exponentially, from at least 30 s, up to 6 h, and at least what the registry asked', () => {
  const fast = intervalSchedule(1000);
  assert.deepEqual(nextWait(fast, 0, 1, undefined, 0, none), { ms: MIN_BACKOFF_MS * 2, reason: 'backoff' });
  assert.deepEqual(nextWait(fast, 0, 3, undefined, 0, none), { ms: MIN_BACKOFF_MS * 8, reason: 'backoff' });
  assert.deepEqual(nextWait(fast, 0, 30, undefined, 0, none), { ms: MAX_BACKOFF_MS, reason: 'backoff' });
  assert.deepEqual(nextWait(fast, 0, 1, 600_000, 0, none), { ms: 600_000, reason: 'backoff' });
});

test('cron schedules: the time to the next slot; a bad expression names the problem', () => {
  const quarter = cronSchedule('*/15 * * * *', 'UTC');
  assert.equal(untilNext(quarter, Date.parse('2026-01-01T00:01:00Z')), 14 * 60_000);
  assert.equal(untilNext(cronSchedule('0 3 * * *', 'UTC'), Date.parse('2026-01-01T02:59:30Z')), 30_000);
  assert.throws(() => cronSchedule('61 * * * *'), (e: Error & { code?: string }) => e.code === 'USAGE' && /minute/.test(e.message));
  assert.throws(() => cronSchedule('every day'), (e: Error & { code?: string }) => e.code === 'USAGE');
  assert.throws(() => intervalSchedule(0), (e: Error & { code?: string }) => e.code === 'USAGE');
});

test('WatchLoop: cycles never overlap; wake() during a cycle starts the next right after it; the signal ends the loop', async () => {
  const stop = new AbortController();
  let running = 0;
  let overlapped = false;
  const started: number[] = [];
  const loop: WatchLoop = new WatchLoop({
    schedule: intervalSchedule(3_600_000),
    jitterMs: 0,
    signal: stop.signal,
    cycle: async (n) => {
      started.push(n);
      running++;
      if (running > 1) overlapped = true;
      if (n === 1) loop.wake();
      await new Promise((resolve) => setImmediate(resolve));
      running--;
      if (n === 3) stop.abort();
      return { ok: true };
    },
    onWait: () => {
      // Waiting an hour after cycle 2: wake it, as SIGHUP would.
      setImmediate(() => loop.wake());
    },
  });
  await loop.run();
  assert.deepEqual(started, [1, 2, 3]);
  assert.equal(overlapped, false);
});
