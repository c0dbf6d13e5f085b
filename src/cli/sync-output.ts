import { FerryError } from '../errors.ts';
import type { DestinationSummary } from '../sync/engine/dry-run.ts';
import type { PlanItem } from '../sync/engine/plan.ts';
import { SyncRecord, type ItemResult, type PlanCounts, type SyncReport } from '../sync/engine/report.ts';
import type { SyncOptions, SyncResult } from '../sync/sync.ts';
import { writeFileAtomic, writeFileAtomicSync } from '../util/atomic-write.ts';
import type { CommandContext } from './context.ts';
import { openLogFile } from './log-file.ts';
import { EXIT, errorRecord, exitCodeFor, plural, type Output } from './output.ts';
import { ProgressRenderer, formatBytes, imageCounter } from './progress.ts';
import { pruneExitCode, renderDeletion } from './prune-flags.ts';
import { describeRunSignatures } from './signature-output.ts';

/**
 * What the commands that run the sync engine print (`sync`, `image mirror`,
 * `release mirror`): the plan line, each failure as it happens, the summary
 * and the list of failures. The plan line, the summary and the report count
 * the same entries. The mirror commands print each failure as it happens
 * ({@link itemFailure}) and their own summaries.
 */

export function planLine(c: PlanCounts): string {
  return `Plan: ${plural(c.images, 'image')}: ${c.toCopy} to copy, ${c.upToDate} already up to date${c.failed > 0 ? `, ${c.failed} failed to resolve` : ''}`;
}

/** One image's failure as it happens: a coded JSON error under --json, a warning line otherwise. */
export function itemFailure(output: Output, r: ItemResult): void {
  if (r.status !== 'failed') return;
  if (output.mode.json) output.error(new FerryError(r.code ?? 'REGISTRY', r.reason ?? 'failed', { hint: r.hint }), r.destination);
  else output.warn(`${r.source} → ${r.destination}: ${r.reason ?? 'failed'}`);
}

export function summaryLine(verb: string, report: SyncReport): string {
  const t = report.totals;
  const pruned = report.prune ? `, ${report.prune.deleted} deleted` : '';
  return `${verb} ${plural(t.images, 'image')}: ${t.copied} copied, ${t.skipped} skipped, ${t.failed} failed${t.notRun > 0 ? `, ${t.notRun} not run` : ''}${pruned}; ${formatBytes(t.bytes)} transferred${describeRunSignatures(report.images)}`;
}

/** A dry run's plan and what each destination would receive (stdout). */
export function printDryRun(output: Output, plan: readonly PlanItem[], summary: readonly DestinationSummary[]): void {
  if (output.mode.json) {
    output.record({ plan: plan.map((p) => ({ source: p.source, destination: p.destination, digest: p.digest, status: p.status, reason: p.reason })), summary });
    return;
  }
  for (const p of plan) output.out(`${p.status === 'skip' ? 'skip' : p.status === 'failed' ? 'FAIL' : 'copy'} ${p.source} → ${p.destination}${p.reason ? ` (${p.reason})` : ''}`);
  for (const s of summary) {
    output.out(
      `${s.storage}: ${plural(s.imagesToCopy, 'image')} to copy, ${s.imagesToSkip} to skip; ${plural(s.blobsToTransfer, 'blob')} (${formatBytes(s.bytesToTransfer)}) to transfer, ${s.blobsPresent} (${formatBytes(s.bytesPresent)}) already there`,
    );
  }
}

/**
 * The end of a run: the failures listed, why it stopped early, and the exit
 * code (0; 1 for failures — sources a dry run could not resolve too; the
 * stopping error's code; 130 when cancelled — main sees the signal). Under
 * --json the report is one record, except for a dry run, whose plan is.
 */
export function finishRun(output: Output, report: SyncReport, stoppedBy: FerryError | undefined): number {
  const failed = report.images.filter((i) => i.status === 'failed');
  if (output.mode.json) {
    if (report.dryRun !== true) output.record({ result: report });
  } else if (failed.length > 0) {
    const lines = failed.map((r) => `  ${r.source} → ${r.destination}: ${r.reason ?? ''}${r.hint ? `\n    hint: ${r.hint}` : ''}`);
    output.error(new FerryError('REGISTRY', `${plural(failed.length, 'image')} failed:\n${lines.join('\n')}`));
  }
  if (stoppedBy !== undefined && stoppedBy.code !== 'ABORTED') {
    const notRun = report.totals.notRun;
    const own = failed.some((f) => f.reason === stoppedBy.message);
    // A failure already listed needs no second line unless it kept others from running.
    if (!own || notRun > 0) {
      const hint = own ? 'with --keep-going the other images are copied and the failures listed at the end' : stoppedBy.hint;
      output.error(new FerryError(stoppedBy.code, `${own ? 'stopped at that failure' : `stopped: ${stoppedBy.message}`}${notRun > 0 ? `; ${plural(notRun, 'image')} not run` : ''}`, { hint }));
    }
    return exitCodeFor(stoppedBy);
  }
  return failed.length > 0 ? EXIT.failure : EXIT.ok;
}

/** Where a run's files go: `--report`, `--digestfile`, `--log`. */
export interface SyncRunFiles {
  report?: string | undefined;
  digestfile?: string | undefined;
  log?: string | undefined;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * One run of the sync engine on the command line, for every command that
 * plans one: progress (images done of planned, with an ETA), the lines above
 * as the engine calls back, `--log`, and the report — written whenever the
 * run ends: finished, stopped at a failure, refused before it started (a
 * bad input), cancelled, or ended by force (then synchronously, from what is
 * known). Flags a command checks before the run exists (`--jobs`, a creds
 * file) fail as usage errors, without a report.
 */
export class SyncRunOutput {
  /** The command's output, or the same with its log in `--log FILE`. */
  readonly output: Output;
  /** What the run knows at any moment; the report is built from it. */
  readonly record = new SyncRecord();
  readonly progress: ProgressRenderer;
  readonly #ctx: CommandContext;
  readonly #files: SyncRunFiles;
  readonly #images: ReturnType<typeof imageCounter>;
  readonly #digests: string[] = [];
  readonly #logFile: ReturnType<typeof openLogFile> | undefined;

  constructor(ctx: CommandContext, files: SyncRunFiles = {}) {
    this.#ctx = ctx;
    this.#files = files;
    this.#logFile = files.log !== undefined ? openLogFile(files.log) : undefined;
    this.output = this.#logFile ? ctx.output.withLog(this.#logFile) : ctx.output;
    this.progress = new ProgressRenderer(this.output);
    this.#images = imageCounter(this.progress);
  }

  /** The engine's callbacks and record: progress events, the plan line, each finished image, each deletion. */
  hooks(): Required<Pick<SyncOptions, 'record' | 'onEvent' | 'onPlan' | 'onItem' | 'onDeletion'>> {
    return {
      record: this.record,
      onEvent: this.progress.listener,
      onPlan: (_items, counts) => {
        this.#images.total(counts.images);
        this.output.info(planLine(counts));
      },
      onItem: (r) => {
        this.#images.finished();
        if (r.status === 'copied' && r.digest) this.#digests.push(`${r.digest} ${r.destination}`);
        itemFailure(this.output, r);
      },
      onDeletion: (d) => renderDeletion(this.output, d),
    };
  }

  /**
   * Runs `work` (which runs the engine with {@link hooks}) and writes the
   * report and the digest file however it ends; a forced end writes the
   * report from what is known. (A dry run is given no digest file.)
   */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const { report, digestfile } = this.#files;
    const unregister = this.#ctx.atExit(() => {
      // Ended by force: whatever is known now, the rest not run.
      this.record.stop(new FerryError('ABORTED', 'interrupted: the run was ended by force before it stopped by itself'));
      if (report !== undefined) writeFileAtomicSync(report, json(this.record.report('not run: interrupted')));
      this.#logFile?.close();
    });
    try {
      return await work();
    } catch (error) {
      // Refused before a run (a bad input) or a bug: the report says so too.
      this.record.stop(error instanceof FerryError ? error : { ...errorRecord(error), code: 'INTERNAL' });
      throw error;
    } finally {
      this.progress.stop();
      try {
        if (report !== undefined) await writeFileAtomic(report, json(this.record.report()));
        if (digestfile !== undefined) await writeFileAtomic(digestfile, this.#digests.map((d) => `${d}\n`).join(''));
      } finally {
        unregister();
        this.#logFile?.close();
      }
    }
  }

  /**
   * Prints how the run ended and sets the exit code: a dry run's plan and
   * what each destination would receive, else the summary line (`verb` N
   * images: …); the failures, why the run stopped early, and the prune's
   * outcome.
   */
  finish(result: SyncResult, verb = 'Synced'): void {
    this.progress.stop();
    const dryRun = result.summary !== undefined;
    if (result.summary) printDryRun(this.output, result.plan, result.summary);
    else this.output.info(summaryLine(verb, result.report));
    this.#ctx.setExitCode(finishRun(this.output, result.report, result.stoppedBy));
    this.#ctx.setExitCode(pruneExitCode(this.output, result.prune, dryRun));
  }
}
