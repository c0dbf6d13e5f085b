import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { SyncRecord } from './report.ts';

const entry = (n: string, status: 'planned' | 'skipped' | 'failed') => ({ source: `src/${n}`, destination: `dst/${n}`, origin: 'f:1', status });

test('the counts of the plan line and the totals of the report count the same entries', () => {
  const record = new SyncRecord();
  record.plan([{ ...entry('rule', 'failed'), reason: 'no such repository' }]);
  record.plan([entry('a', 'planned'), entry('b', 'planned'), entry('c', 'skipped'), { ...entry('d', 'failed'), reason: 'manifest unknown' }]);
  assert.deepEqual(record.counts(), { images: 5, toCopy: 2, upToDate: 1, failed: 2 });
  record.result({ ...entry('a', 'planned'), status: 'copied', bytes: 10 });
  record.result({ ...entry('c', 'skipped'), status: 'skipped', bytes: 0 });
  const report = record.report();
  assert.deepEqual(report.totals, { images: 5, copied: 1, skipped: 1, failed: 2, planned: 0, notRun: 1, bytes: 10 });
  assert.equal(report.images.find((i) => i.source === 'src/b')?.reason, 'not run');
  assert.equal(report.stopped, undefined);
});

test('a stopped run: entries without a result are not run, saying why; the first reason wins', () => {
  const record = new SyncRecord();
  record.plan([entry('a', 'planned'), entry('b', 'planned')]);
  record.stop(new FerryError('ABORTED', 'operation cancelled'));
  record.stop(new FerryError('NETWORK', 'later'));
  const report = record.report();
  assert.deepEqual(report.stopped, { code: 'ABORTED', message: 'operation cancelled' });
  assert.deepEqual(report.images.map((i) => [i.status, i.reason]), [['not-run', 'not run: interrupted'], ['not-run', 'not run: interrupted']]);
  const dry = new SyncRecord();
  dry.plan([entry('a', 'planned')]);
  dry.markDryRun();
  assert.equal(dry.report().images[0]?.status, 'planned');
});
