import { throwIfAborted } from '../errors.ts';

/**
 * The one worker pool: runs `work` over `items` with at most `limit` calls
 * in flight, starting them in input order, until every item has started or
 * `stopped()` says to start no more. Resolves once every started call has
 * settled, so no work is left running behind the caller; rejects with the
 * first error `work` let escape, after the others settled.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
  stopped: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  let failed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length && !stopped()) {
      const i = next++;
      try {
        await work(items[i]!, i);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failure;
}

/**
 * Maps `items` through `fn` with at most `limit` calls in flight and returns
 * the results in input order. The first rejection rejects the whole call once
 * the calls already running have settled; an aborted signal stops starting
 * new calls.
 */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const out: R[] = new Array(items.length);
  await forEachLimited(items, limit, async (item, i) => {
    throwIfAborted(signal);
    out[i] = await fn(item, i);
  });
  return out;
}
