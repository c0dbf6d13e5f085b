import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, parseDuration } from './duration.ts';

test('parseDuration reads Go-style durations and bare seconds', () => {
  const table: Array<[string, number]> = [['0', 0], ['90', 90_000], ['90s', 90_000], ['15m', 900_000], ['1h30m', 5_400_000], ['500ms', 500], ['1.5s', 1500], ['2d', 172_800_000], ['1m30s250ms', 90_250]];
  for (const [text, ms] of table) assert.equal(parseDuration(text, '--interval'), ms, text);
});

test('parseDuration refuses what is not a duration, naming the flag', () => {
  for (const text of ['', 'soon', '15 m', '1h-5m', 'm', '10x']) {
    assert.throws(() => parseDuration(text, '--interval'), (e: Error & { code?: string }) => e.code === 'USAGE' && e.message.startsWith('--interval:'), text);
  }
});

test('formatDuration writes what parseDuration reads', () => {
  for (const ms of [0, 2000, 61_000, 5_400_000, 90_061_000]) assert.equal(parseDuration(formatDuration(ms), 'x'), ms);
  assert.equal(formatDuration(250), '250ms');
});
