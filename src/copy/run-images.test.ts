import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError, abortError } from '../errors.ts';
import { countResults, runImages, type ImageResult, type RunContext } from './run-images.ts';

/**
 * The run loop's bookkeeping, with stand-in work per item (what the work does
 * to registries is covered by the sync and mirror tests against real peers).
 */

/** A promise with its resolve function, to hold items open while the test looks. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Waits until the abort reaches the work (or forever when it never comes). */
function untilAborted(run: RunContext): Promise<never> {
  return new Promise((_, reject) => run.signal.addEventListener('abort', () => reject(abortError(run.signal)), { once: true }));
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('every item gets one result in input order, and counts come from the results', async () => {
  const seen: string[] = [];
  const { results, stoppedBy } = await runImages(
    ['a', 'b', 'c', 'd'],
    async (item) => (item === 'b' ? { status: 'skipped' } : { status: 'copied', bytes: 10 }),
    { jobs: 2, onResult: (r) => seen.push(r.item) },
  );
  assert.deepEqual(results.map((r) => [r.item, r.status]), [['a', 'copied'], ['b', 'skipped'], ['c', 'copied'], ['d', 'copied']]);
  assert.deepEqual([...seen].sort(), ['a', 'b', 'c', 'd'], 'onResult once per item');
  assert.equal(stoppedBy, undefined);
  assert.deepEqual(countResults(results), { copied: 3, skipped: 1, failed: 0, notRun: 0, bytes: 30 });
});

test('no more than `jobs` items run at once, started in input order', async () => {
  const gates = [gate(), gate(), gate()];
  const started: number[] = [];
  const running = runImages([0, 1, 2], async (i) => {
    started.push(i);
    await gates[i]!.promise;
    return { status: 'copied' };
  }, { jobs: 2 });
  await tick();
  assert.deepEqual(started, [0, 1]);
  gates[1]!.open();
  await tick();
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.open();
  gates[2]!.open();
  await running;
});

test('without keepGoing a permanent failure stops the run; it is blamed on its own item only', async () => {
  const unresolvable = new FerryError('NOT_FOUND', 'docker://r/app:nope: manifest unknown');
  const { results, stoppedBy } = await runImages(
    ['slow', 'nope', 'later'],
    async (item, run) => {
      if (item === 'nope') throw unresolvable;
      return untilAborted(run);
    },
    { jobs: 2, describe: (item) => `docker://r/app:${item}` },
  );
  assert.equal(stoppedBy, unresolvable, 'the run stopped for the failed item’s own error, code kept');
  const [slow, nope, later] = results as [ImageResult<string>, ImageResult<string>, ImageResult<string>];
  assert.equal(nope.status, 'failed');
  assert.equal(nope.error, unresolvable);
  assert.equal(slow.status, 'not-run', 'the image in flight is interrupted, not failed');
  assert.match(slow.reason ?? '', /^not run: stopped at the failure of docker:\/\/r\/app:nope$/);
  assert.doesNotMatch(slow.reason ?? '', /manifest unknown/, 'the other image’s error is not copied into it');
  assert.equal(later.status, 'not-run');
  assert.deepEqual(countResults(results), { copied: 0, skipped: 0, failed: 1, notRun: 2, bytes: 0 });
});

test('a failure that may pass is tried once more in a final pass; a permanent one is not', async () => {
  const attempts = new Map<string, number[]>();
  const warnings: string[] = [];
  const { results } = await runImages(
    ['flaky', 'gone', 'ok'],
    async (item, run) => {
      attempts.set(item, [...(attempts.get(item) ?? []), run.attempt]);
      if (item === 'flaky' && run.attempt === 1) throw new FerryError('NETWORK', 'connection reset', { retryable: true });
      if (item === 'gone') throw new FerryError('NOT_FOUND', 'manifest unknown');
      return { status: 'copied' };
    },
    { keepGoing: true, onEvent: (e) => e.type === 'warning' && warnings.push(e.message) },
  );
  assert.deepEqual(results.map((r) => r.status), ['copied', 'failed', 'copied']);
  assert.deepEqual(Object.fromEntries(attempts), { flaky: [1, 2], gone: [1], ok: [1] });
  assert.deepEqual(warnings, ['retry pass 1 of 1: retrying 1 failed image']);
});

test('the final pass can be declined per item', async () => {
  let calls = 0;
  const { results } = await runImages(['x'], async () => {
    calls++;
    throw new FerryError('NETWORK', 'reset', { retryable: true });
  }, { keepGoing: true, retryPass: () => false });
  assert.equal(calls, 1);
  assert.equal(results[0]!.status, 'failed');
});

test('a cancelled run still returns a result for every item', async () => {
  const controller = new AbortController();
  const { results, stoppedBy } = await runImages(
    ['done', 'running', 'waiting'],
    async (item, run) => {
      if (item === 'done') return { status: 'copied' };
      setImmediate(() => controller.abort());
      return untilAborted(run);
    },
    { jobs: 2, signal: controller.signal },
  );
  assert.equal(stoppedBy?.code, 'ABORTED');
  assert.deepEqual(results.map((r) => r.status), ['copied', 'not-run', 'not-run']);
});

test('a bug (an error that is not a FerryError) rejects the run once the work in flight has settled', async () => {
  let settledOther = false;
  await assert.rejects(
    runImages(['bug', 'other'], async (item, run) => {
      if (item === 'bug') throw new TypeError('x is undefined');
      try {
        return await untilAborted(run);
      } finally {
        settledOther = true;
      }
    }, { jobs: 2, keepGoing: true }),
    TypeError,
  );
  assert.equal(settledOther, true);
});

test('retryPasses: failures are tried again in as many passes as asked, each over what failed in the one before', async () => {
  const tries = new Map<string, number>();
  const flaky = (name: string, failures: number) => ({ name, failures });
  const items = [flaky('a', 0), flaky('b', 2), flaky('c', 5)];
  const warnings: string[] = [];
  const { results } = await runImages(
    items,
    async (item) => {
      const n = (tries.get(item.name) ?? 0) + 1;
      tries.set(item.name, n);
      if (n <= item.failures) throw new FerryError('NETWORK', `${item.name}: reset`, { retryable: true });
      return { status: 'copied' };
    },
    { retryPasses: 3, keepGoing: true, onEvent: (e) => void (e.type === 'warning' && warnings.push(e.message)) },
  );
  assert.deepEqual(results.map((r) => r.status), ['copied', 'copied', 'failed']);
  assert.deepEqual(Object.fromEntries(tries), { a: 1, b: 3, c: 4 });
  assert.deepEqual(warnings, ['retry pass 1 of 3: retrying 2 failed images', 'retry pass 2 of 3: retrying 2 failed images', 'retry pass 3 of 3: retrying 1 failed image']);
});
