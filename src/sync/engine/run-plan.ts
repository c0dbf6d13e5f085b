import { FerryError, abortError } from '../../errors.ts';
import { copyImage } from '../../copy/copy-image.ts';
import type { CopyEventListener } from '../../copy/events.ts';
import { runImages, type ImageResult } from '../../copy/run-images.ts';
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
  /** Called after each item finishes (progress headline, digest file); items the run did not get to are not reported. */
  onItem?: ((result: ItemResult) => void) | undefined;
}

/** A run result in the report's terms: an item the run did not get to counts as failed, saying why. */
function itemResult(r: ImageResult<PlanItem>): ItemResult {
  const { item } = r;
  const base = { source: item.source, destination: item.destination, digest: r.digest ?? item.digest, origin: item.origin, bytes: r.bytes };
  if (r.status === 'copied' || r.status === 'skipped') return { ...base, status: r.status };
  return { ...base, status: 'failed', reason: r.reason };
}

/**
 * Runs the plan through the one run loop ({@link runImages}): `jobs` images
 * at a time in plan order, one blob tracker and limit, a final pass for
 * failures that may pass. Items copy between the targets planning opened.
 * Without keepGoing the first failure stops the run and is thrown, as is a
 * cancellation.
 */
export async function runPlan(items: PlanItem[], options: RunOptions): Promise<ItemResult[]> {
  const { results, stoppedBy } = await runImages(
    items,
    async (item, run) => {
      if (item.status === 'skip') return { status: 'skipped', digest: item.digest };
      if (item.status === 'failed') throw item.error ?? new FerryError('NOT_FOUND', `${item.source}: ${item.reason ?? 'could not be resolved'}`);
      const target = item.expanded.targets[item.targetIndex]!;
      const ctx = { ...options, signal: run.signal };
      const source = item.sourceTarget ?? (await openSide(ctx, item.expanded.source, 'source', item.expanded.sourceAccess));
      const destination = item.destinationTarget ?? (await openSide(ctx, target.ref, 'destination', target.access));
      const result = await copyImage({
        source,
        destination,
        instances: item.instances,
        preserveDigests: options.preserveDigests,
        annotations: { [ANNOTATION_SOURCE]: source.display.replace(/^docker:\/\//, '') },
        limiters: [run.blobLimiter],
        tracker: run.tracker,
        retry: options.retry,
        signal: run.signal,
        onEvent: options.onEvent,
      });
      return { status: 'copied', digest: result.digest, bytes: result.bytesTransferred };
    },
    {
      jobs: options.jobs,
      blobJobs: options.blobJobs,
      keepGoing: options.keepGoing,
      // A source that could not be resolved was asked already; only copies get the final pass.
      retryPass: (item) => item.status === 'copy',
      signal: options.signal,
      describe: (item) => item.source,
      onEvent: options.onEvent,
      onResult: (r) => {
        if (r.status !== 'not-run') options.onItem?.(itemResult(r));
      },
    },
  );
  if (options.signal?.aborted) throw abortError(options.signal);
  if (stoppedBy && !options.keepGoing) throw stoppedBy;
  return results.map(itemResult);
}
