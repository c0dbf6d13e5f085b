import { FerryError } from '../../errors.ts';
import { copyImage } from '../../copy/copy-image.ts';
import type { CopyEventListener } from '../../copy/events.ts';
import { runImages, type ImageResult } from '../../copy/run-images.ts';
import type { RetryPolicy } from '../../util/retry.ts';
import { ANNOTATION_SOURCE } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { CompanionGate, companionLeftOut, imagesThenCompanions } from '../../signature/companion-gate.ts';
import type { SignatureSession } from '../../signature/signature-session.ts';
import { copySigned, summarizeSignatures, type SignatureSummary } from '../../signature/signed-copy.ts';
import { attachmentSubject } from '../../signature/sigstore/attachment-manifest.ts';
import { attributeAccessFailure } from '../../copy/access-failure.ts';
import type { PlanItem, ResolveContext } from './plan.ts';
import { openSide } from './plan.ts';
import type { ItemResult } from './report.ts';

export type { ItemResult } from './report.ts';

export interface RunOptions extends ResolveContext {
  /** Images in flight at once. */
  jobs: number;
  /** Blob transfers in flight at once across all images. */
  blobJobs: number;
  keepGoing: boolean;
  /** Passes over failed images after the first (image-syncer's `--retries`). */
  retryPasses?: number | undefined;
  preserveDigests: boolean;
  retry: RetryPolicy;
  /** The run's signature policy, carrying and signing. */
  signatures: SignatureSession;
  onEvent?: CopyEventListener | undefined;
  /** Called once per item when its result is final, `not-run` included. */
  onItem?: ((result: ItemResult) => void) | undefined;
}

/**
 * The manifest a plan item is an attachment of, when its source tag is one
 * (`sha256-<hex>.sig`, `.att`, `.sbom`, the referrers fallback tag): such an
 * item is a companion of that image, not an image of its own.
 */
export function companionSubject(item: PlanItem): Digest | undefined {
  return attachmentSubject(item.expanded.image.tag);
}

/** A failure as the report has it: the error's message, code and hint. */
export function failureOf(error: FerryError): Pick<ItemResult, 'reason' | 'code' | 'hint'> {
  return { reason: error.message, code: error.code, ...(error.hint ? { hint: error.hint } : {}) };
}

/** A run result in the report's terms. An item that failed to resolve stays failed even when the run stopped before it. */
function itemResult(r: ImageResult<PlanItem>, signatures: ReadonlyMap<PlanItem, SignatureSummary>): ItemResult {
  const { item } = r;
  const base = { source: item.source, destination: item.destination, digest: r.digest ?? item.digest, origin: item.origin, bytes: r.bytes };
  if (r.status === 'copied' || r.status === 'skipped') {
    const summary = signatures.get(item);
    return { ...base, status: r.status, ...(r.reason !== undefined ? { reason: r.reason } : {}), ...(summary ? { signatures: summary } : {}) };
  }
  if (item.status === 'failed') return { ...base, status: 'failed', ...failureOf(item.error ?? new FerryError('NOT_FOUND', `${item.source}: ${item.reason ?? 'could not be resolved'}`)) };
  // Interrupted by a cancellation: the abort's own words ("operation cancelled") say less than this.
  if (r.status === 'not-run') return { ...base, status: 'not-run', reason: r.reason?.startsWith('not run') ? r.reason : 'not run: interrupted' };
  return { ...base, status: 'failed', ...(r.error ? failureOf(r.error) : { reason: r.reason }) };
}

/**
 * Runs the plan through the one run loop ({@link runImages}): `jobs` images
 * at a time in plan order, one blob tracker and limit, retry passes for
 * failures that may pass. Items copy between the targets planning opened,
 * each under the run's signature session (policy before bytes, signatures
 * carried, signing). Attachment tags the rules select themselves
 * (companions) run after every image, unchecked and unsigned, and only when
 * their image is at the destination.
 * Every item's result goes to `onItem`; the run says why it stopped early, if it did.
 */
export async function runPlan(plan: PlanItem[], options: RunOptions): Promise<{ stoppedBy?: FerryError | undefined }> {
  const session = options.signatures;
  const isCompanion = (item: PlanItem): boolean => companionSubject(item) !== undefined;
  const items = imagesThenCompanions(plan, isCompanion);
  const gate = new CompanionGate(items.filter((i) => !isCompanion(i)).length);
  const signatures = new Map<PlanItem, SignatureSummary>();
  const { stoppedBy } = await runImages(
    items,
    async (item, run) => {
      const subject = companionSubject(item);
      try {
        if (item.status === 'skip') return { status: 'skipped', digest: item.digest };
        if (item.status === 'failed') throw item.error ?? new FerryError('NOT_FOUND', `${item.source}: ${item.reason ?? 'could not be resolved'}`);
        const target = item.expanded.targets[item.targetIndex]!;
        const ctx = { ...options, signal: run.signal };
        const source = { ...(item.sourceTarget ?? (await openSide(ctx, item.expanded.source, 'source', item.expanded.sourceAccess))), transportRef: item.expanded.source };
        const destination = { ...(item.destinationTarget ?? (await openSide(ctx, target.ref, 'destination', target.access))), transportRef: target.ref };
        const copy = {
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
        };
        try {
          if (subject !== undefined) {
            // An attachment follows its image, unchecked by the policy and unsigned: it is about an image, not one to run.
            if (!(await gate.admit(subject, destination.repository, run.signal))) return { status: 'skipped', digest: item.digest, reason: companionLeftOut(subject, item.destination) };
            // Its image may have brought it along already.
            const held = destination.reference === undefined ? undefined : await destination.repository.manifestHead(destination.reference, { signal: run.signal });
            if (held !== undefined && held.digest === item.digest) return { status: 'skipped', digest: item.digest };
            const result = await copyImage(copy);
            return { status: 'copied', digest: result.digest, bytes: result.bytesTransferred };
          }
          const result = await copySigned(session, copy);
          const summary = summarizeSignatures(result.signatures);
          if (summary) signatures.set(item, summary);
          return { status: 'copied', digest: result.digest, bytes: result.bytesTransferred };
        } catch (error) {
          throw attributeAccessFailure(error, { source, destination });
        }
      } finally {
        if (subject === undefined && run.attempt === 1) gate.imageSettled();
      }
    },
    {
      jobs: options.jobs,
      blobJobs: options.blobJobs,
      keepGoing: options.keepGoing,
      retryPasses: options.retryPasses,
      // A source that could not be resolved was asked already; only copies get the retry passes.
      retryPass: (item) => item.status === 'copy',
      signal: options.signal,
      describe: (item) => item.source,
      onEvent: options.onEvent,
      onResult: (r) => options.onItem?.(itemResult(r, signatures)),
    },
  );
  return { stoppedBy };
}
