import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../errors.ts';
import { BlobTracker } from './blob-tracker.ts';
import { Limiter, runLimited } from './limiter.ts';

/** A promise with its resolve function, to hold tasks open while the test looks. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

test('a limiter runs at most `limit` tasks at once, the rest in arrival order', async () => {
  const limiter = new Limiter(2);
  const gates = [gate(), gate(), gate(), gate()];
  const started: number[] = [];
  const runs = gates.map((g, i) => limiter.run(async () => {
    started.push(i);
    await g.promise;
  }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1]);
  gates[1]!.open();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, [0, 1, 2]);
  gates[0]!.open();
  gates[2]!.open();
  gates[3]!.open();
  await Promise.all(runs);
  assert.deepEqual(started, [0, 1, 2, 3]);
});

test('a waiting task leaves the queue when its signal fires, with ABORTED', async () => {
  const limiter = new Limiter(1);
  const hold = gate();
  const first = limiter.run(() => hold.promise);
  const controller = new AbortController();
  const second = limiter.run(async () => 'never', controller.signal);
  controller.abort();
  await assert.rejects(second, (e: unknown) => e instanceof FerryError && e.code === 'ABORTED');
  hold.open();
  await first;
  assert.equal(await limiter.run(async () => 'next'), 'next', 'the slot was not leaked');
});

test('runLimited passes every limiter', async () => {
  const global = new Limiter(1);
  const local = new Limiter(5);
  const hold = gate();
  const a = runLimited([global, local], () => hold.promise);
  let bStarted = false;
  const b = runLimited([global, local], async () => void (bStarted = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(bStarted, false, 'the global limit of 1 holds b back');
  hold.open();
  await Promise.all([a, b]);
  assert.equal(bStarted, true);
});

test('the blob tracker runs one transfer per repository and blob, and remembers holders for mounts', async () => {
  const tracker = new BlobTracker();
  const digest = `sha256:${'a'.repeat(64)}` as const;
  const hold = gate();
  let transfers = 0;
  const transfer = async () => {
    transfers++;
    await hold.promise;
    return 'uploaded' as const;
  };
  const first = tracker.once('docker://r', 'team/a', digest, transfer);
  const joined = tracker.once('docker://r', 'team/a', digest, transfer);
  const waited = tracker.underWay('docker://r', digest);
  assert.notEqual(waited, undefined, 'a transfer is under way');
  assert.equal(tracker.underWay('docker://r', `sha256:${'b'.repeat(64)}`), undefined, 'none for another blob');
  hold.open();
  assert.equal(await first, 'uploaded');
  assert.equal(await joined, 'joined');
  await waited;
  assert.equal(tracker.underWay('docker://r', digest), undefined, 'none once it landed');
  assert.equal(transfers, 1);
  assert.deepEqual(tracker.holders('docker://r', digest), ['team/a']);
  assert.equal(tracker.has('docker://r', 'team/a', digest), true);
  assert.equal(tracker.has('docker://r', 'team/b', digest), false);
  assert.deepEqual(tracker.holders('oci:/elsewhere', digest), []);
});
