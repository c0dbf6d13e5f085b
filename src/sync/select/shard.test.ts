import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FerryError } from '../../errors.ts';
import { inShard, parseShard, shardOf } from './shard.ts';

test('parseShard reads 0-based I/N', () => {
  assert.deepEqual(parseShard('0/4'), { index: 0, count: 4 });
  assert.deepEqual(parseShard(' 3 / 4 '), { index: 3, count: 4 });
  assert.deepEqual(parseShard('0/1'), { index: 0, count: 1 });
  const bad: [string, RegExp][] = [
    ['4/4', /I must be less than N \(shards are numbered from 0\)/],
    ['1/0', /N must be from 1/],
    ['-1/4', /expected I\/N/],
    ['1', /expected I\/N/],
    ['a/b', /expected I\/N/],
    ['1/2/3', /expected I\/N/],
    ['', /expected I\/N/],
  ];
  for (const [text, message] of bad) {
    assert.throws(() => parseShard(text), (e: unknown) => e instanceof FerryError && e.code === 'USAGE' && message.test(e.message) && /JOB_COMPLETION_INDEX/.test(e.hint ?? ''), text);
  }
});

test('N shards partition any list exactly, deterministically', () => {
  const keys = Array.from({ length: 1000 }, (_, i) => `registry.example.com/team-${i % 37}/app-${i}`);
  for (const count of [1, 2, 3, 7, 16]) {
    const seen = new Map<string, number>();
    for (let index = 0; index < count; index++) {
      for (const key of keys.filter((k) => inShard(k, { index, count }))) {
        assert.equal(seen.has(key), false, `${key} in two shards`);
        seen.set(key, index);
      }
    }
    assert.equal(seen.size, keys.length, `every key in some shard for N=${count}`);
    // Same answer on every call (and every process: the hash is content-only).
    for (const key of keys.slice(0, 50)) assert.equal(shardOf(key, count), seen.get(key));
  }
});

test('shards are balanced enough to split work', () => {
  const counts = new Array(8).fill(0) as number[];
  for (let i = 0; i < 8000; i++) counts[shardOf(`quay.io/org/repo-${i}`, 8)]!++;
  for (const c of counts) assert.ok(c > 800 && c < 1200, `uneven shard: ${counts.join(',')}`);
});

test('shardOf is a pure function of its key', () => {
  // Pinned so a change to the hashing (which would reshuffle running jobs) is noticed.
  assert.equal(shardOf('docker.io/library/nginx', 1000), 995);
  assert.equal(shardOf('docker.io/library/nginx', 7), 0);
  assert.notEqual(shardOf('a', 1_000_000), shardOf('b', 1_000_000));
  assert.throws(() => shardOf('a', 0), RangeError);
});
