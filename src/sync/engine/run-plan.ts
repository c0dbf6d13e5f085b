import { FerryError, abortError, isFerryError, isPermanent } from '../../errors.ts';
import { BlobTracker } from '../../copy/blob-tracker.ts';
import { copyImage } from '../../copy/copy-image.ts';
import type { CopyEventListener } from '../../copy/events.ts';
import { Limiter } from '../../copy/limiter.ts';
import type { RetryPolicy } from '../../util/retry.ts';
import { ANNOTATION_SOURCE } from '../../oci/descriptor.ts';
import type { PlanItem, ResolveContext } from './plan.ts';
import { openSide } from './plan.ts';

/** Outcome of one plan item after the run. */
export interface ItemResult {
  source: string;
  destination: string;
  digest?: string | undefined;
  /** `planned`: a dry run would copy it. */
  status: 'copied' | 'skipped' | 'failed' | 'planned';
  reason?: string | undefined;
  bytes: number;
  origin: string;
}

export interface RunOptions extends ResolveContext {
  /** Images in flight at once. */
  jobs: number;
  /** Blob transfers in flight at once across all images. */
  blobJobs: number;
  keepGoing: boolean;
  preserveDigests: boolean;
  retry: RetryPolicy;
  onEvent?: CopyEventListener | undefined;
  /** Called after each item finishes (progress headline, digest file). */
  onItem?: ((result: ItemResult) => void) | undefined;
}

/**
 * Runs the plan: `jobs` images at a time in plan order (so a partial run
 * leaves complete images, not many half-copied ones), all blob transfers
 * under one global limit, one blob tracker for the whole run so each blob
 * crosses to a destination registry once and is mounted elsewhere. Failed
 * images get one more try in a final pass. Without keepGoing the first
 * failure stops everything still running.
 */
export async function runPlan(items: PlanItem[], options: RunOptions): Promise<ItemResult[]> {
  const tracker = new BlobTracker();
  const blobLimiter = new Limiter(options.blobJobs);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const results = new Map<PlanItem, ItemResult>();
  const hopeless = new Set<PlanItem>();

  const copyOne = async (item: PlanItem): Promise<ItemResult> => {
    const base = { source: item.source, destination: item.destination, digest: item.digest, origin: item.origin };
    if (item.status === 'skip') return { ...base, status: 'skipped', bytes: 0 };
    if (item.status === 'failed') return { ...base, status: 'failed', reason: item.reason, bytes: 0 };
    const target = item.expanded.targets[item.targetIndex]!;
    const ctx = { ...options, signal };
    const source = await openSide(ctx, item.expanded.source, 'source', item.expanded.sourceAccess);
    const destination = await openSide(ctx, target.ref, 'destination', target.access);
    const result = await copyImage({
      source,
      destination,
      instances: item.instances,
      preserveDigests: options.preserveDigests,
      annotations: { [ANNOTATION_SOURCE]: source.display.replace(/^docker:\/\//, '') },
      limiters: [blobLimiter],
      tracker,
      retry: options.retry,
      signal,
      onEvent: options.onEvent,
    });
    return { ...base, digest: result.digest, status: 'copied', bytes: result.bytesTransferred };
  };

  const attempt = async (item: PlanItem): Promise<void> => {
    try {
      const result = await copyOne(item);
      results.set(item, result);
      if (result.status === 'failed' && !options.keepGoing) stop.abort(new FerryError('REGISTRY', `${item.source}: ${result.reason ?? 'failed'}`));
    } catch (err) {
      if (!isFerryError(err)) throw err;
      if (stop.signal.aborted && err.code === 'ABORTED') return;
      results.set(item, { source: item.source, destination: item.destination, digest: item.digest, origin: item.origin, status: 'failed', reason: err.message, bytes: 0 });
      if (isPermanent(err)) {
        hopeless.add(item);
        if (!options.keepGoing) stop.abort(err);
      }
    } finally {
      const r = results.get(item);
      if (r) options.onItem?.(r);
    }
  };

  const runQueue = async (queue: PlanItem[]): Promise<void> => {
    let next = 0;
    const workers = Array.from({ length: Math.min(options.jobs, queue.length) }, async () => {
      while (next < queue.length && !signal.aborted) await attempt(queue[next++]!);
    });
    await Promise.all(workers);
  };

  await runQueue(items);
  // Final pass: images that failed for reasons that may pass (network, 5xx, 429 after retries).
  const retryable = signal.aborted ? [] : items.filter((i) => i.status === 'copy' && results.get(i)?.status === 'failed' && !hopeless.has(i));
  if (retryable.length > 0) {
    options.onEvent?.({ type: 'warning', message: `retrying ${retryable.length} failed image(s) in a final pass` });
    retryable.forEach((i) => results.delete(i));
    await runQueue(retryable);
  }
  if (options.signal?.aborted) throw abortError(options.signal);
  if (stop.signal.aborted && !options.keepGoing) throw stop.signal.reason as Error;
  return items.map(
    (i) => results.get(i) ?? { source: i.source, destination: i.destination, digest: i.digest, origin: i.origin, status: 'failed', reason: 'not run: the sync stopped at an earlier failure', bytes: 0 },
  );
}
