import type { SyncOptions, SyncResult } from '../sync/sync.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { CommandContext } from './context.ts';
import { EXIT } from './output.ts';
import { ProgressRenderer, formatBytes } from './progress.ts';
import { describeRunSignatures } from './signature-output.ts';

/** Where a run's report and digest list go (`--report`, `--digestfile`). */
export interface SyncRunFiles {
  report?: string | undefined;
  digestfile?: string | undefined;
}

/**
 * How a run of the sync engine shows on the command line, for every command
 * that plans one (`sync`, `image mirror`, `release mirror`): the plan line,
 * progress with images done and an ETA, then the plan of a dry run or the
 * summary, the failures on stderr, the report files and the exit code.
 */
export class SyncRunOutput {
  readonly progress: ProgressRenderer;
  readonly #ctx: CommandContext;
  readonly #digestLines: string[] = [];
  #total = 0;
  #done = 0;

  constructor(ctx: CommandContext) {
    this.#ctx = ctx;
    this.progress = new ProgressRenderer(ctx.output);
    const started = Date.now();
    this.progress.overall = () => ({ done: this.#done, total: this.#total });
    this.progress.headline = () => {
      // ETA from the pace of finished images: sizes vary, but it is honest about what it knows.
      const eta = this.#done > 0 && this.#done < this.#total ? Math.round(((Date.now() - started) / this.#done) * (this.#total - this.#done) / 1000) : undefined;
      if (this.#total === 0) return 'planning';
      return `images ${this.#done}/${this.#total}${eta !== undefined ? `, ETA ${eta < 90 ? `${eta} s` : `${Math.round(eta / 60)} min`}` : ''}`;
    };
  }

  /** The engine's callbacks: progress events, the plan line, each finished image. */
  hooks(): Pick<SyncOptions, 'onEvent' | 'onPlan' | 'onItem'> {
    return {
      onEvent: this.progress.listener,
      onPlan: (items) => {
        this.#total = items.length;
        const skip = items.filter((i) => i.status === 'skip').length;
        // Images whose source could not be resolved are neither to copy nor up to date.
        const unresolved = items.filter((i) => i.status === 'failed').length;
        this.#ctx.output.info(`Plan: ${items.length} images, ${items.length - skip - unresolved} to copy, ${skip} already up to date${unresolved > 0 ? `, ${unresolved} failed to resolve` : ''}`);
      },
      onItem: (r) => {
        this.#done++;
        if (r.status === 'copied' && r.digest) this.#digestLines.push(`${r.digest} ${r.destination}`);
        if (r.status === 'failed') this.#ctx.output.warn(`${r.source} → ${r.destination}: ${r.reason ?? 'failed'}`);
      },
    };
  }

  stop(): void {
    this.progress.stop();
  }

  /**
   * Writes the report files and prints the result: each planned image and
   * what each destination would receive for a dry run, else a summary line
   * (`verb` N images: …); failures go to stderr and set exit code 1.
   */
  async finish(result: SyncResult, files: SyncRunFiles = {}, verb = 'Synced'): Promise<void> {
    this.stop();
    const { output } = this.#ctx;
    const { report, summary } = result;
    if (files.report !== undefined) await writeFileAtomic(files.report, `${JSON.stringify(report, null, 2)}\n`);
    if (files.digestfile !== undefined) await writeFileAtomic(files.digestfile, this.#digestLines.join('\n') + (this.#digestLines.length ? '\n' : ''));
    if (summary) {
      if (output.mode.json) output.record({ plan: result.plan.map((p) => ({ source: p.source, destination: p.destination, digest: p.digest, status: p.status, reason: p.reason })), summary });
      else {
        for (const p of result.plan) output.out(`${p.status === 'skip' ? 'skip' : p.status === 'failed' ? 'FAIL' : 'copy'} ${p.source} → ${p.destination}${p.reason ? ` (${p.reason})` : ''}`);
        for (const s of summary) {
          output.out(`${s.storage}: ${s.imagesToCopy} images to copy, ${s.imagesToSkip} to skip; ${s.blobsToTransfer} blobs (${formatBytes(s.bytesToTransfer)}) to transfer, ${s.blobsPresent} (${formatBytes(s.bytesPresent)}) already there`);
        }
      }
    } else if (output.mode.json) output.record({ result: report });
    const t = report.totals;
    if (!summary) output.info(`${verb} ${t.images} images: ${t.copied} copied, ${t.skipped} skipped, ${t.failed} failed; ${formatBytes(t.bytes)} transferred${describeRunSignatures(report.images)}`);
    if (t.failed > 0) {
      if (!output.mode.json) {
        process.stderr.write(`ferry: ${t.failed} image(s) failed:\n`);
        for (const r of report.images.filter((i) => i.status === 'failed')) process.stderr.write(`  ${r.source} → ${r.destination}: ${r.reason ?? ''}\n`);
      }
      this.#ctx.setExitCode(EXIT.failure);
    }
  }
}
