import { FerryError } from '../errors.ts';
import type { CopyEventListener } from '../copy/events.ts';
import type { AccessOptions } from '../repository/access.ts';
import { OpenSession } from '../repository/open-session.ts';
import { destinationNaming } from '../transports/transport-table.ts';
import { retryPolicy } from '../util/retry.ts';
import { formatOrigin, type Destination, type RegistryOptions, type SyncSpec } from './config/sync-spec.ts';
import { findDestinationConflicts } from './select/conflicts.ts';
import { inShard, type Shard } from './select/shard.ts';
import { summarizePlan, type DestinationSummary } from './engine/dry-run.ts';
import { expandSpec } from './engine/expand.ts';
import { resolveImage, type PlanItem, type ResolveContext } from './engine/plan.ts';
import { AccessCache } from './engine/access-cache.ts';
import { buildReport, type SyncReport } from './engine/report.ts';
import { companionSubject, runPlan, type ItemResult } from './engine/run-plan.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import { withSignatureSession } from '../signature/signed-copy.ts';
import { mapLimited } from '../util/pool.ts';
import { DEFAULT_BLOB_JOBS, DEFAULT_IMAGE_JOBS } from '../copy/run-images.ts';
import { checkPrunable, pruneAfterSync, pruneReport, type PruneSettings } from './prune/prune-sync.ts';
import type { PruneDeletion, PruneResult } from './prune/prune.ts';

/** Parallel HEAD requests while resolving the plan. */
const RESOLVE_CONCURRENCY = 64;

export interface SyncOptions {
  /** Images in flight at once (`--jobs`). */
  jobs?: number | undefined;
  /** Blob transfers in flight at once across all images. */
  blobJobs?: number | undefined;
  keepGoing?: boolean | undefined;
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
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
  /** The resolved plan, before anything is copied (counts for progress). */
  onPlan?: ((items: readonly PlanItem[]) => void) | undefined;
  onItem?: ((result: ItemResult) => void) | undefined;
  /** After the run, delete destination tags ferry wrote earlier that the rules no longer select (`--prune`); see src/sync/prune. */
  prune?: PruneSettings | undefined;
  /** Each deletion's outcome, with `prune`. */
  onDeletion?: ((deletion: PruneDeletion) => void) | undefined;
}

export interface SyncResult {
  report: SyncReport;
  /** Present for dry runs: what each destination would receive. */
  summary?: DestinationSummary[] | undefined;
  plan: PlanItem[];
  /** With `prune`: the deletions; undefined when the run did not prune (a rule could not be listed). */
  prune?: PruneResult | undefined;
  /** Every rule was listed (none failed under keepGoing): what the plan does not select, the sources do not have. */
  complete: boolean;
}


/**
 * Synchronises every image a spec describes: expand rules to concrete tags,
 * resolve each source digest and skip destinations that already hold it
 * (HEAD only), then copy the rest in parallel with one blob tracker, so
 * shared layers cross once per destination registry. Each image is checked
 * against the signature policy before any of its blobs is written, its
 * signatures travel with it and it is signed once written (see
 * {@link SyncOptions.signatures}); an image already at the destination is
 * skipped with its signatures as they are there. Returns the report;
 * failed images are in it (the caller decides the exit code).
 */
export async function sync(spec: SyncSpec, options: SyncOptions = {}): Promise<SyncResult> {
  // Opened first: a malformed policy or a wrong signing passphrase fails before anything is planned or copied.
  return withSignatureSession(options.signatures, (signatures) => syncWith(spec, options, signatures));
}

async function syncWith(spec: SyncSpec, options: SyncOptions, signatures: SignatureSession): Promise<SyncResult> {
  const started = new Date();
  const retry = retryPolicy(options.retryTimes);
  const session = new OpenSession({
    onRetry: (e) => options.onEvent?.({ type: 'retry', what: e.error.http?.url ?? 'request', attempt: e.attempt, delayMs: e.delayMs, reason: e.error.message }),
  });
  const ctx: ResolveContext = { session, signal: options.signal };
  const ruleFailures: ItemResult[] = [];
  if (options.prune) checkPrunable(spec);
  const pruneRun = async (plan: PlanItem[], report: SyncReport, dryRun: boolean): Promise<PruneResult | undefined> => {
    if (!options.prune) return undefined;
    const result = await pruneAfterSync([{ plan, report, complete: ruleFailures.length === 0 }], {
      ...options.prune, dryRun, session, signal: options.signal, onEvent: options.onEvent, onDeletion: options.onDeletion,
    });
    if (result) report.prune = pruneReport(result);
    return result;
  };
  try {
    const expanded = await expandSpec({
      onRuleFailed: options.keepGoing
        ? (rule, source, error) => {
            const failure: ItemResult = { source, destination: rule.destinations.map(describeDestination).join(', '), origin: formatOrigin(rule.origin), status: 'failed', reason: error.message, bytes: 0 };
            ruleFailures.push(failure);
            options.onItem?.(failure);
          }
        : undefined,
      spec,
      session,
      accessCache: new AccessCache(options.access ?? {}, retry),
      sourceOverrides: options.sourceOverrides ?? {},
      destinationOverrides: options.destinationOverrides ?? {},
      signal: options.signal,
    });
    const shard = options.shard;
    const mine = shard ? expanded.filter((e) => inShard(e.targets.length > 0 ? repositoryKeyOf(e) : '', shard)) : expanded;
    const nested = await mapLimited(mine, RESOLVE_CONCURRENCY, (e) => resolveImage(ctx, e));
    // --remove-signatures: attachment tags the rules select are dropped with the rest.
    const plan = dedupe(nested.flat()).filter((p) => !signatures.removeSignatures || companionSubject(p) === undefined);
    const conflicts = findDestinationConflicts(plan.map((p) => ({ source: p.source, destination: p.destination, origin: p.expanded.rule.origin })));
    if (conflicts.length > 0) {
      const c = conflicts[0]!;
      throw new FerryError('INVALID_CONFIG', `${c.destination} would be written by two sources: ${c.first.source} and ${c.second.source}`, {
        hint: `check the rules at ${c.first.origin.file}:${c.first.origin.line} and ${c.second.origin.file}:${c.second.origin.line}`,
      });
    }
    options.onPlan?.(plan);
    if (options.dryRun) {
      const summary = await summarizePlan(plan, ctx);
      const results: ItemResult[] = plan.map((p) => ({
        source: p.source, destination: p.destination, digest: p.digest, origin: p.origin, bytes: 0,
        status: p.status === 'skip' ? 'skipped' : p.status === 'failed' ? 'failed' : 'planned',
        ...(p.reason !== undefined ? { reason: p.reason } : {}),
      }));
      const report = buildReport([...ruleFailures, ...results], started, new Date(), true);
      return { report, summary, plan, prune: await pruneRun(plan, report, true), complete: ruleFailures.length === 0 };
    }
    const results = await runPlan(plan, {
      ...ctx,
      jobs: options.jobs ?? spec.defaults.jobs ?? DEFAULT_IMAGE_JOBS,
      blobJobs: options.blobJobs ?? DEFAULT_BLOB_JOBS,
      keepGoing: options.keepGoing ?? false,
      preserveDigests: options.preserveDigests ?? false,
      retry,
      signatures,
      onEvent: options.onEvent,
      onItem: options.onItem,
    });
    const report = buildReport([...ruleFailures, ...results], started, new Date());
    return { report, plan, prune: await pruneRun(plan, report, false), complete: ruleFailures.length === 0 };
  } finally {
    await session.close();
  }
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
