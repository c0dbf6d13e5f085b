import { throwIfAborted } from '../errors.ts';

/**
 * Runs `fn` over `items` with at most `limit` calls in flight and returns the
 * results in input order. The first rejection rejects the whole call once the
 * calls already running have settled (no work is left running behind it);
 * an aborted signal stops starting new calls.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  signal?: AbortSignal,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  let failure: unknown;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        throwIfAborted(signal);
        out[i] = await fn(items[i]!, i);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  });
  await Promise.all(workers);
  if (failed) throw failure;
  return out;
}
