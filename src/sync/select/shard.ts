import { createHash } from 'node:crypto';
import { FerryError } from '../../errors.ts';

/**
 * One slice of a sync plan: shard `index` of `count`, numbered from 0 so a
 * Kubernetes Indexed Job can pass `--shard $(JOB_COMPLETION_INDEX)/N`
 * directly (its pods get indexes 0..N-1).
 */
export interface Shard {
  index: number;
  count: number;
}

// Far beyond any useful parallelism; keeps the modulo well inside 48-bit hash space.
const MAX_SHARDS = 1_000_000;

/**
 * Parses `I/N` with 0 ≤ I < N.
 * @throws FerryError `USAGE` saying what is wrong, with the 0-based convention in the hint.
 */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const hint = 'write --shard I/N with I from 0 to N-1, e.g. --shard "$JOB_COMPLETION_INDEX/4" in a Kubernetes Indexed Job';
  if (!m) throw new FerryError('USAGE', `invalid shard "${text}": expected I/N, e.g. 0/4`, { hint });
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || count > MAX_SHARDS) throw new FerryError('USAGE', `invalid shard "${text}": N must be from 1 to ${MAX_SHARDS}`, { hint });
  if (index >= count) {
    throw new FerryError('USAGE', `invalid shard "${text}": I must be less than N (shards are numbered from 0)`, { hint });
  }
  return { index, count };
}

/**
 * The shard (0..count-1) a repository belongs to: the first 48 bits of the
 * SHA-256 of `key` modulo `count`. Stable across processes, machines and
 * ferry versions, so N independent runs with the same input partition it
 * exactly. Hash by repository (see `repositoryKey`), not by tag, so each
 * repository is copied by one process and its blobs are mounted rather than
 * uploaded twice.
 */
export function shardOf(key: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count must be a positive integer, got ${count}`);
  const digest = createHash('sha256').update(key, 'utf8').digest();
  return digest.readUIntBE(0, 6) % count;
}

/** True when `key` falls in `shard`. */
export function inShard(key: string, shard: Shard): boolean {
  return shardOf(key, shard.count) === shard.index;
}
