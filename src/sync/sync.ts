import { FerryError, abortError, isPermanent } from '../errors.ts';
import type { CopyEventListener } from '../copy/events.ts';
import type { AccessOptions } from '../repository/access.ts';
import { OpenSession } from '../repository/open-session.ts';
import { destinationNaming } from '../transports/transport-table.ts';
import { retryPolicy } from '../util/retry.ts';
import { formatOrigin, type Destination, type RegistryOptions, type SourceRule, type SyncSpec } from './config/sync-spec.ts';
import { findDestinationConflicts } from './select/conflicts.ts';
import { inShard, type Shard } from './select/shard.ts';
import { summarizePlan, type DestinationSummary } from './engine/dry-run.ts';
import { expandSpec, type ExpandedImage } from './engine/expand.ts';
import { resolveImage, type PlanItem, type ResolveContext } from './engine/plan.ts';
import { AccessCache } from './engine/access-cache.ts';
import { SyncRecord, type PlanCounts, type SyncReport } from './engine/report.ts';
import { companionSubject, failureOf, runPlan, type ItemResult } from './engine/run-plan.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import { withSignatureSession } from '../signature/signed-copy.ts';
import { mapLimited } from '../util/pool.ts';
import { DEFAULT_BLOB_JOBS, DEFAULT_IMAGE_JOBS, DEFAULT_RETRY_PASSES } from '../copy/run-images.ts';
import { formatTransportRef } from '../ref/transport-ref.ts';
import type { PruneSettings } from './prune/prune-sync.ts';
import type { PruneDeletion, PruneResult } from './prune/prune.ts';

/** Parallel HEAD requests while resolving the plan. */
const RESOLVE_CONCURRENCY = 64;

export interface SyncOptions {
  /** Images in flight at once (`--jobs`). */
  jobs?: number | undefined;
  /** Blob transfers in flight at once across all images. */
  blobJobs?: number | undefined;
  /** Go on past failed images and rules (image-syncer's way: every rule runs). */
  keepGoing?: boolean | undefined;
  /** Passes over failed images (and rules whose listing failed on the way) after the first (`--retries`); default 1. */
  retryPasses?: number | undefined;
  dryRun?: boolean | undefined;
  preserveDigests?: boolean | undefined;
  retryTimes?: number | undefined;
  /** Only this slice of the plan (`--shard I/N`). */
  shard?: Shard | undefined;
  /** Command-line settings that override the spec for every source / destination registry. */
  sourceOverrides?: RegistryOptions | undefined;
  destinationOverrides?: RegistryOptions | undefined;
  /** Base access for every registry (auth file, environment). */
  access?: AccessOptions | undefined;
  /**
   * Signature policy, carrying and signing for every image (`--policy`,
   * `--remove-signatures`, `--sign-by`, …), or a session shared with other
   * runs. By default the user's containers policy is enforced and signatures travel.
   */
  signatures?: SignatureOptions | SignatureSession | undefined;
  /** Where the run's knowledge accumulates; give one to read a report while the run goes on (e.g. when ended by force). */
  record?: SyncRecord | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
  /** The resolved plan, before anything is copied, with the counts the summary and report will repeat. */
  onPlan?: ((items: readonly PlanItem[], counts: PlanCounts) => void) | undefined;
  /** Each image's (and each failed rule's) final result, `not-run` included. */
  onItem?: ((result: ItemResult) => void) | undefined;
  /** After the run, delete destination tags ferry wrote earlier that the rules no longer select (`--prune`); see src/sync/prune. */
  prune?: PruneSettings | undefined;
  /** Each deletion's outcome, with `prune`. */
  onDeletion?: ((deletion: PruneDeletion) => void) | undefined;
}

export interface SyncResult {
  /** Every planned image with its outcome; written by `--report`. */
  report: SyncReport;
  /** Present for dry runs: what each destination would receive. */
  summary?: DestinationSummary[] | undefined;
  plan: PlanItem[];
  /** With `prune`: the deletions; undefined when the run did not prune (a rule could not be listed, or the run stopped early). */
  prune?: PruneResult | undefined;
  /** Every rule was listed (none failed under keepGoing): what the plan does not select, the sources do not have. */
  complete: boolean;
  /** Why the run ended before every image was tried (the first failure without keepGoing, a conflict, or the cancellation). */
  stoppedBy?: FerryError | undefined;
}

/**
 * Synchronises every image a spec describes: expand rules to concrete tags,
 * resolve each source digest and skip destinations that already hold it
 * (HEAD only), then copy the rest in parallel with one blob tracker, so
 * shared layers cross once per destination registry. Each image is checked
 * against the signature policy before any of its blobs is written, its
 * signatures travel with it and it is signed once written (see
 * {@link SyncOptions.signatures}); an image already at the destination is
 * skipped with its signatures as they are there. Always returns the
 * report — failed, stopped and cancelled runs included (`stoppedBy` says
 * why); a policy or signing key that cannot be opened, and bugs, reject.
 */
export async function sync(spec: SyncSpec, options: SyncOptions = {}): Promise<SyncResult> {
  // Opened first: a malformed policy or a wrong signing passphrase fails before anything is planned or copied.
  return withSignatureSession(options.signatures, (signatures) => syncWith(spec, options, signatures));
}

async function syncWith(spec: SyncSpec, options: SyncOptions, signatures: SignatureSession): Promise<SyncResult> {
  // Pruning's state format and stores load only for a run that prunes.
  const pruning = options.prune ? await import('./prune/prune-sync.ts') : undefined;
  pruning?.checkPrunable(spec);
  const record = options.record ?? new SyncRecord();
  const retry = retryPolicy(options.retryTimes);
  const passes = options.retryPasses ?? DEFAULT_RETRY_PASSES;
  const session = new OpenSession({
    onRetry: (e) => options.onEvent?.({ type: 'retry', what: e.error.http?.url ?? 'request', attempt: e.attempt, delayMs: e.delayMs, reason: e.error.message }),
  });
  const ctx: ResolveContext = { session, signal: options.signal };
  let plan: PlanItem[] = [];
  let complete = true;
  const done = (stoppedBy?: FerryError, summary?: DestinationSummary[], notRunReason?: string): SyncResult => {
    if (stoppedBy) record.stop(stoppedBy, notRunReason);
    return { report: record.report(), plan, summary, stoppedBy: record.stoppedBy, complete };
  };
  // After a run that was not stopped: a stopped run selected only part of what the rules name.
  const pruneRun = async (dryRun: boolean): Promise<PruneResult | undefined> => {
    if (!options.prune || !pruning) return undefined;
    const { pruneAfterSync, pruneReport } = pruning;
    const result = await pruneAfterSync([{ plan, report: record.report(), complete }], {
      ...options.prune, dryRun, session, signal: options.signal, onEvent: options.onEvent, onDeletion: options.onDeletion,
    });
    if (result) record.pruned(pruneReport(result));
    return result;
  };
  try {
    const accessCache = new AccessCache(options.access ?? {}, retry);
    const expandRules = async (rules: SourceRule[]) => {
      const failures: Array<{ rule: SourceRule; source: string; error: FerryError }> = [];
      const images = await expandSpec({
        spec: { ...spec, sources: rules },
        session,
        accessCache,
        sourceOverrides: options.sourceOverrides ?? {},
        destinationOverrides: options.destinationOverrides ?? {},
        onRuleFailed: (rule, source, error) => void failures.push({ rule, source, error }),
        // Finding attachments needs each source repository's tags: the listing made here serves.
        onTagsListed: (repository, tags) => signatures.knowTags(repository, tags),
        signal: options.signal,
      });
      return { images, failures };
    };
    let { images: expanded, failures } = await expandRules(spec.sources);
    // A listing that may pass (a reset, a 503) is asked again, as image-syncer retries its failed task generation.
    for (let pass = 1; pass <= passes && failures.some((f) => !isPermanent(f.error)); pass++) {
      const again = await expandRules(failures.filter((f) => !isPermanent(f.error)).map((f) => f.rule));
      expanded = [...expanded, ...again.images];
      failures = [...failures.filter((f) => isPermanent(f.error)), ...again.failures];
    }
    const ruleFailures: ItemResult[] = failures.map(({ rule, source, error }) => ({
      source, destination: rule.destinations.map(describeDestination).join(', '), origin: formatOrigin(rule.origin), status: 'failed', bytes: 0, ...failureOf(error),
    }));
    complete = failures.length === 0;
    record.plan(ruleFailures);
    for (const failure of ruleFailures) options.onItem?.(failure);
    const shard = options.shard;
    const mine = shard ? expanded.filter((e) => inShard(e.targets.length > 0 ? repositoryKeyOf(e) : '', shard)) : expanded;
    if (failures.length > 0 && !options.keepGoing) {
      // Stopped before resolving anything: what the other rules selected is listed as not run.
      record.plan(mine.flatMap(unresolved));
      return done(failures[0]!.error, undefined, `not run: stopped at the failure of ${failures[0]!.source}`);
    }
    // --remove-signatures: attachment tags the rules select are dropped with the rest.
    plan = dedupe((await mapLimited(mine, RESOLVE_CONCURRENCY, (e) => resolveImage(ctx, e))).flat()).filter((p) => !signatures.removeSignatures || companionSubject(p) === undefined);
    record.plan(plan.map((p) => ({ source: p.source, destination: p.destination, digest: p.digest, origin: p.origin, status: p.status === 'skip' ? 'skipped' : p.status === 'failed' ? 'failed' : 'planned', ...(p.error ? failureOf(p.error) : p.reason !== undefined ? { reason: p.reason } : {}) })));
    const conflicts = findDestinationConflicts(plan.map((p) => ({ source: p.source, destination: p.destination, origin: p.expanded.rule.origin })));
    if (conflicts.length > 0) {
      const c = conflicts[0]!;
      return done(
        new FerryError('INVALID_CONFIG', `${c.destination} would be written by two sources: ${c.first.source} and ${c.second.source}`, {
          hint: `check the rules at ${c.first.origin.file}:${c.first.origin.line} and ${c.second.origin.file}:${c.second.origin.line}`,
        }),
        undefined,
        'not run: two sources would write one destination',
      );
    }
    options.onPlan?.(plan, record.counts());
    if (options.dryRun) {
      record.markDryRun();
      const summary = await summarizePlan(plan, ctx);
      const prune = await pruneRun(true);
      return { ...done(undefined, summary), prune };
    }
    const run = await runPlan(plan, {
      ...ctx,
      jobs: options.jobs ?? spec.defaults.jobs ?? DEFAULT_IMAGE_JOBS,
      blobJobs: options.blobJobs ?? DEFAULT_BLOB_JOBS,
      keepGoing: options.keepGoing ?? false,
      retryPasses: passes,
      preserveDigests: options.preserveDigests ?? false,
      retry,
      signatures,
      onEvent: options.onEvent,
      onItem: (result) => {
        record.result(result);
        options.onItem?.(result);
      },
    });
    if (options.signal?.aborted) return done(abortError(options.signal));
    if (run.stoppedBy) return done(run.stoppedBy);
    const prune = await pruneRun(false);
    return { ...done(), prune };
  } catch (error) {
    // Cancelled while planning or pruning: the report says what was known.
    if (error instanceof FerryError && options.signal?.aborted) return done(abortError(options.signal));
    throw error;
  } finally {
    await session.close();
  }
}

/** An expanded image's report entries before its source was resolved. */
function unresolved(e: ExpandedImage): Array<Omit<ItemResult, 'bytes'>> {
  return e.targets.map((t) => ({ source: formatTransportRef(e.source), destination: t.display, origin: formatOrigin(e.rule.origin), status: 'planned' }));
}

/** A rule's destination for reports, before any image is named (`docker://host/path`, `oci:/dir`). */
function describeDestination(d: Destination): string {
  const where = destinationNaming(d.location.transport).describe(d.location.root);
  return d.path === '' ? where : `${where}/${d.path}`;
}

function repositoryKeyOf(e: { image: { registry?: string | undefined; repository: string } }): string {
  return e.image.registry === undefined ? e.image.repository : `${e.image.registry}/${e.image.repository}`;
}

/** The same source listed twice for one destination is copied once. */
function dedupe(items: PlanItem[]): PlanItem[] {
  const seen = new Set<string>();
  return items.filter((i) => {
    const key = `${i.source} ${i.destination}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
