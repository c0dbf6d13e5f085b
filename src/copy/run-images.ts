import { FerryError, abortError, isPermanent } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { forEachLimited } from '../util/pool.ts';
import { BlobTracker } from './blob-tracker.ts';
import type { CopyEventListener } from './events.ts';
import { Limiter } from './limiter.ts';

/** Images in flight at once by default: enough to overlap latency, few enough that each finishes soon. */
export const DEFAULT_IMAGE_JOBS = 4;
/** Blob transfers in flight at once across a whole run. */
export const DEFAULT_BLOB_JOBS = 12;
/** One final pass: a failure that may pass (a reset, a 503) gets a second chance once the rest is done. */
export const DEFAULT_RETRY_PASSES = 1;

/** What the work for one item hands to the copy engine: the run's shared state. */
export interface RunContext {
  /** Fires when the run stops: the caller's signal, or the first failure without keepGoing. */
  signal: AbortSignal;
  /** One per run, so each blob crosses to a destination storage once and is mounted elsewhere. */
  tracker: BlobTracker;
  /** Blob transfers across every image of the run. */
  blobLimiter: Limiter;
  /** 1 in the first pass, then 2, 3, … in the retry passes. */
  attempt: number;
}

/** What the work for one item reports when it did not fail. */
export interface ImageDone {
  status: 'copied' | 'skipped';
  /** Digest the destination names now. */
  digest?: Digest | undefined;
  /** Bytes that crossed the wire. */
  bytes?: number | undefined;
  /** Why an item was skipped, when not because the destination holds it already. */
  reason?: string | undefined;
}

/** Copies (or skips) one item; a failure is thrown as a FerryError. */
export type CopyOne<I> = (item: I, run: RunContext) => Promise<ImageDone>;

/**
 * What became of one item: `copied` or `skipped` by its work, `failed` with
 * its own error, or `not-run` (never started, or interrupted when the run
 * stopped) with why.
 */
export interface ImageResult<I> {
  item: I;
  status: 'copied' | 'skipped' | 'failed' | 'not-run';
  digest?: Digest | undefined;
  bytes: number;
  reason?: string | undefined;
  /** The failure (failed), or what stopped the run (not-run). */
  error?: FerryError | undefined;
}

export interface RunImagesOptions<I> {
  /** Images in flight at once (default {@link DEFAULT_IMAGE_JOBS}). */
  jobs?: number | undefined;
  /** Blob transfers in flight at once across all images (default {@link DEFAULT_BLOB_JOBS}). */
  blobJobs?: number | undefined;
  /**
   * Go on past failed items. Without it the first failure that will not be
   * tried again stops the run (a permanent one, or any when there is no final
   * pass); failures that may pass wait for the final pass either way.
   */
  keepGoing?: boolean | undefined;
  /** Whether failed items get more tries in retry passes (default true; never for permanent failures). A function chooses per item. */
  retryPass?: boolean | ((item: I, error: FerryError) => boolean) | undefined;
  /**
   * How many retry passes follow the first one (default {@link DEFAULT_RETRY_PASSES}),
   * each over the items that failed in the one before, as image-syncer's `--retries`.
   */
  retryPasses?: number | undefined;
  /** Share the blob knowledge of an earlier run (default: a fresh tracker). */
  tracker?: BlobTracker | undefined;
  signal?: AbortSignal | undefined;
  /** Names an item in the reasons of items the run did not finish. */
  describe?: ((item: I) => string) | undefined;
  /** Called once per item, when its result is final (progress, digest files). */
  onResult?: ((result: ImageResult<I>) => void) | undefined;
  /** Told when the final pass starts. */
  onEvent?: CopyEventListener | undefined;
}

export interface RunImagesResult<I> {
  /** One per item, in input order, whatever happened. */
  results: ImageResult<I>[];
  /** Why the run stopped early: the first failure (without keepGoing) or the caller's cancellation. */
  stoppedBy?: FerryError | undefined;
}

/**
 * The one run loop of ferry: sync, mirror pushes, bundle-driven pushes and
 * any later workflow plan their items and hand them here. `jobs` items at a
 * time in input order (so a partial run leaves complete images, not many
 * half-copied ones), every blob transfer under one limit and one blob
 * tracker, one stop controller, and retry passes for failures that may pass.
 *
 * Every item gets a result, also when the run stops: a failure belongs to its
 * own item only; items interrupted or never started are `not-run` with the
 * reason. The run itself rejects only for bugs (errors that are not
 * FerryErrors), after everything in flight has settled.
 */
export async function runImages<I>(items: readonly I[], copyOne: CopyOne<I>, options: RunImagesOptions<I> = {}): Promise<RunImagesResult<I>> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const tracker = options.tracker ?? new BlobTracker();
  const blobLimiter = new Limiter(options.blobJobs ?? DEFAULT_BLOB_JOBS);
  const describe = options.describe ?? (() => 'an earlier item');
  const results: Array<ImageResult<I> | undefined> = new Array(items.length);
  let stoppedBy: FerryError | undefined;

  const wantsRetry = (item: I, error: FerryError): boolean => {
    if (isPermanent(error)) return false;
    const choice = options.retryPass ?? true;
    return typeof choice === 'function' ? choice(item, error) : choice;
  };
  const settle = (index: number, result: ImageResult<I>): void => {
    results[index] = result;
    options.onResult?.(result);
  };
  const notRun = (item: I, error: FerryError): ImageResult<I> => ({ item, status: 'not-run', bytes: 0, reason: error.message, error });

  const passes = options.retryPasses ?? DEFAULT_RETRY_PASSES;
  let retrying: number[] = [];
  const attempt = (pass: number) => async (slot: number): Promise<void> => {
    const item = items[slot]!;
    try {
      const done = await copyOne(item, { signal, tracker, blobLimiter, attempt: pass });
      settle(slot, { item, status: done.status, digest: done.digest, bytes: done.bytes ?? 0, ...(done.reason !== undefined ? { reason: done.reason } : {}) });
    } catch (err) {
      if (!(err instanceof FerryError)) {
        stop.abort(new FerryError('ABORTED', 'not run: the run stopped at an internal error'));
        throw err;
      }
      // Cut short because the run stopped: not this item's failure (in a retry pass, its earlier failure stands).
      if (signal.aborted && err.code === 'ABORTED') {
        settle(slot, pass === 1 ? notRun(item, abortError(signal)) : results[slot]!);
        return;
      }
      if (pass <= passes && wantsRetry(item, err)) {
        results[slot] = { item, status: 'failed', bytes: 0, reason: err.message, error: err };
        retrying.push(slot);
        return;
      }
      settle(slot, { item, status: 'failed', bytes: 0, reason: err.message, error: err });
      // In a retry pass only a permanent failure stops the rest: the others had their second chance.
      if (!options.keepGoing && !stop.signal.aborted && (pass === 1 || isPermanent(err))) {
        stoppedBy = err;
        stop.abort(new FerryError('ABORTED', `not run: stopped at the failure of ${describe(item)}`, { cause: err }));
      }
    }
  };

  const jobs = options.jobs ?? DEFAULT_IMAGE_JOBS;
  await forEachLimited(items.map((_, i) => i), jobs, attempt(1), () => signal.aborted);
  for (let pass = 2; retrying.length > 0 && !signal.aborted && pass <= passes + 1; pass++) {
    const slots = retrying.sort((a, b) => a - b);
    retrying = [];
    options.onEvent?.({ type: 'warning', message: `retry pass ${pass - 1} of ${passes}: retrying ${slots.length} failed image${slots.length === 1 ? '' : 's'}` });
    await forEachLimited(slots, jobs, attempt(pass), () => signal.aborted);
  }
  // No pass left to run (cancelled): the failures waiting for one are final as they are.
  for (const slot of retrying) options.onResult?.(results[slot]!);
  if (options.signal?.aborted) stoppedBy ??= abortError(options.signal);
  const reason = stoppedBy !== undefined && signal.aborted ? abortError(signal) : undefined;
  const all = items.map((item, i) => results[i] ?? notRun(item, reason ?? new FerryError('ABORTED', 'not run')));
  for (const [i, r] of all.entries()) if (results[i] === undefined) options.onResult?.(r);
  return { results: all, stoppedBy };
}

/** Counts of a run's results, for summaries and reports. */
export function countResults(results: ReadonlyArray<Pick<ImageResult<unknown>, 'status' | 'bytes'>>): { copied: number; skipped: number; failed: number; notRun: number; bytes: number } {
  const counts = { copied: 0, skipped: 0, failed: 0, notRun: 0, bytes: 0 };
  for (const r of results) {
    if (r.status === 'not-run') counts.notRun++;
    else counts[r.status]++;
    counts.bytes += r.bytes;
  }
  return counts;
}
