import { FerryError, type ErrorCode } from '../../errors.ts';
import type { SignatureSummary } from '../../signature/signed-copy.ts';
import type { PruneReport } from '../prune/prune-sync.ts';

/** Outcome of one plan item (or of a rule that could not be expanded). */
export interface ItemResult {
  source: string;
  destination: string;
  digest?: string | undefined;
  /** `planned`: a dry run would copy it. `not-run`: the run stopped (a failure without keep-going, or a cancellation) before it. */
  status: 'copied' | 'skipped' | 'failed' | 'planned' | 'not-run';
  reason?: string | undefined;
  /** The failure's error code (failed items). */
  code?: ErrorCode | undefined;
  /** What to try (failed items). */
  hint?: string | undefined;
  bytes: number;
  origin: string;
  /** Signatures carried and made for a copied image (absent when none). */
  signatures?: SignatureSummary | undefined;
}

/** `ferry sync --report FILE`: per image and totals. The shape is stable (consumed by `ferry k8s` and scripts); fields are only added. */
export interface SyncReport {
  version: 1;
  /** True for `--dry-run`: nothing was copied; `planned` images would be. */
  dryRun?: boolean | undefined;
  started: string;
  finished: string;
  /** Why the run ended before every image was tried: the first failure (without keep-going), or the cancellation. */
  stopped?: StopReason | undefined;
  images: Array<Omit<ItemResult, 'origin'>>;
  totals: { images: number; copied: number; skipped: number; failed: number; planned: number; notRun: number; bytes: number };
  /** With `--prune`: every deletion due, with its digest and outcome. */
  prune?: PruneReport | undefined;
}

/** Why a run stopped: a coded failure, or `INTERNAL` for a bug in ferry. */
export interface StopReason {
  code: ErrorCode | 'INTERNAL';
  message: string;
  hint?: string | undefined;
}

/** Counts of a plan as it is announced: every entry the report will have, by what planning found. */
export interface PlanCounts {
  images: number;
  toCopy: number;
  upToDate: number;
  /** Sources that could not be resolved, and rules that could not be expanded (a missing repository). */
  failed: number;
}

const key = (r: { source: string; destination: string }): string => `${r.source}\u0000${r.destination}`;

/**
 * What a sync knows at any moment: the planned items and the result of each
 * as it comes. The report it builds has one entry per planned item (or
 * failed rule), in plan order; an item without a result yet is `not-run`.
 * A run's final report comes from here, and so does the report a CLI writes
 * when it is ended by force in the middle of a run.
 */
export class SyncRecord {
  readonly started = new Date();
  private readonly entries: ItemResult[] = [];
  private readonly planned = new Set<string>();
  private readonly results = new Map<string, ItemResult>();
  private dryRun = false;
  private stopped: FerryError | StopReason | undefined;
  private notRunReason: string | undefined;
  private prune: PruneReport | undefined;

  /**
   * Adds entries to the plan (rule failures first, then the resolved items):
   * `planned` to copy, `skipped` when the destination has the image, `failed`
   * when its source could not be resolved.
   */
  plan(items: ReadonlyArray<Omit<ItemResult, 'bytes'> & { bytes?: number | undefined }>): void {
    for (const item of items) {
      this.entries.push({ ...item, bytes: item.bytes ?? 0 });
      this.planned.add(key(item));
    }
  }

  /** Records an entry's outcome (an entry not planned yet is added). */
  result(result: ItemResult): void {
    const k = key(result);
    if (!this.planned.has(k)) {
      this.entries.push(result);
      this.planned.add(k);
    }
    this.results.set(k, result);
  }

  /** Records the deletions of `--prune`, which the report then carries. */
  pruned(prune: PruneReport): void {
    this.prune = prune;
  }

  markDryRun(): void {
    this.dryRun = true;
  }

  /** The first reason the run stopped early wins; `notRunReason` is what entries that never ran say. */
  stop(error: FerryError | StopReason, notRunReason?: string): void {
    if (this.stopped) return;
    this.stopped = error;
    this.notRunReason = notRunReason;
  }

  /** The coded failure (or cancellation) the run stopped at, if it stopped at one. */
  get stoppedBy(): FerryError | undefined {
    return this.stopped instanceof FerryError ? this.stopped : undefined;
  }

  /** The plan's counts, which the summary and the report repeat. */
  counts(): PlanCounts {
    const counts = { images: this.entries.length, toCopy: 0, upToDate: 0, failed: 0 };
    for (const e of this.entries) {
      if (e.status === 'failed') counts.failed++;
      else if (e.status === 'skipped') counts.upToDate++;
      else counts.toCopy++;
    }
    return counts;
  }

  /** The report as it stands; entries without a result are `not-run` with `notRunReason`. */
  report(notRunReason = this.notRunReason ?? (this.stopped?.code === 'ABORTED' ? 'not run: interrupted' : this.stopped ? 'not run: the run stopped early' : 'not run')): SyncReport {
    const totals = { images: 0, copied: 0, skipped: 0, failed: 0, planned: 0, notRun: 0, bytes: 0 };
    const images = this.entries.map((entry) => {
      const r = this.results.get(key(entry)) ?? (this.dryRun || entry.status === 'failed' ? entry : { ...entry, status: 'not-run' as const, reason: notRunReason });
      totals.images++;
      if (r.status === 'not-run') totals.notRun++;
      else totals[r.status]++;
      totals.bytes += r.bytes;
      const { origin: _origin, ...rest } = r;
      return rest;
    });
    const stopped = this.stopped ? { code: this.stopped.code, message: this.stopped.message, ...(this.stopped.hint ? { hint: this.stopped.hint } : {}) } : undefined;
    return { version: 1, ...(this.dryRun ? { dryRun: true } : {}), started: this.started.toISOString(), finished: new Date().toISOString(), ...(stopped ? { stopped } : {}), images, totals, ...(this.prune ? { prune: this.prune } : {}) };
  }
}
