import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isFerryError } from '../../errors.ts';
import { TokenBucket, throttled, type BucketClock } from './throttle.ts';

/** A virtual clock: sleeping moves time forward at once, so the tests run instantly and measure virtual time only. */
function fakeClock(start = 1_000): BucketClock & { time: number; sleeps: number[] } {
  const clock = {
    time: start,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number, signal?: AbortSignal) => {
      clock.sleeps.push(ms);
      if (signal?.aborted) return;
      clock.time += ms;
    },
  };
  return clock;
}

test('a full bucket grants one second of tokens at once; more waits at the rate', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(100, clock);
  await bucket.take(100);
  assert.equal(clock.time, 1_000, 'the first second is a burst');
  await bucket.take(50);
  assert.ok(Math.abs(clock.time - 1_500) < 1, `50 more tokens at 100/s take half a second (${clock.time - 1_000} ms)`);
  await bucket.take(250);
  assert.ok(Math.abs(clock.time - 4_000) < 1, `250 more take 2.5 s (${clock.time - 1_000} ms)`);
});

test('over any stretch, tokens granted never exceed one second of burst plus the rate', async () => {
  const clock = fakeClock();
  const rate = 64 * 1024;
  const bucket = new TokenBucket(rate, clock);
  const grants: Array<[number, number]> = [];
  for (const size of [16_384, 65_536, 1_000, 100_000, 7, 65_536, 30_000, 200_000, 4_096, 65_536]) {
    await bucket.take(size);
    grants.push([clock.time, size]);
  }
  const total = grants.reduce((n, [, size]) => n + size, 0);
  const elapsed = (clock.time - 1_000) / 1000;
  assert.ok(elapsed >= (total - rate) / rate - 0.001, `${total} tokens after ${elapsed} s at ${rate}/s`);
  for (const [i, [from]] of grants.entries()) {
    for (const [to] of grants.slice(i)) {
      const granted = grants.filter(([at]) => at > from && at <= to).reduce((n, [, size]) => n + size, 0);
      assert.ok(granted <= rate + (rate * (to - from)) / 1000 + 1, `${granted} tokens in ${to - from} ms`);
    }
  }
});

test('an idle bucket refills to one second of tokens, not more', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(10, clock);
  await bucket.take(10);
  clock.time += 60_000;
  await bucket.take(10);
  const before = clock.time;
  await bucket.take(10);
  assert.ok(Math.abs(clock.time - before - 1_000) < 1, 'a minute idle saved up one second of tokens only');
});

test('waiters are served in order', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(10, clock);
  await bucket.take(10);
  const order: string[] = [];
  await Promise.all([bucket.take(20).then(() => order.push('big')), bucket.take(1).then(() => order.push('small'))]);
  assert.deepEqual(order, ['big', 'small']);
});

test('an aborted take rejects with ABORTED and later takes still work', async () => {
  const clock = fakeClock();
  const bucket = new TokenBucket(10, clock);
  await bucket.take(10);
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(bucket.take(5, controller.signal), (error: unknown) => isFerryError(error, 'ABORTED'));
  await bucket.take(5);
  assert.ok(clock.time > 1_000);
});

test('throttled() passes every byte through, paced by the bucket', async () => {
  const clock = fakeClock();
  const rate = 1_000;
  const chunks = Array.from({ length: 10 }, (_, i) => Buffer.alloc(500, i));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(throttled(new TokenBucket(rate, clock)))) out.push(chunk as Buffer);
  assert.deepEqual(Buffer.concat(out), Buffer.concat(chunks));
  assert.ok(Math.abs(clock.time - 1_000 - 4_000) < 1, `5000 bytes at 1000/s after a 1000-byte burst: 4 s (${clock.time - 1_000} ms)`);
});
