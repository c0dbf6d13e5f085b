import { FerryError } from '../errors.ts';
import type { SignatureOptions } from '../signature/signature-session.ts';
import { IMAGE_SYNCER_RETRY_PASSES, loadSyncCommandLine, type SyncCommandLine } from '../sync/config/sync-command-line.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';
import { parseShard } from '../sync/select/shard.ts';
import { sync } from '../sync/sync.ts';
import type { Schedule } from '../sync/watch/schedule.ts';
import type { CommandContext } from './context.ts';
import { SyncRunOutput } from './sync-output.ts';

/** A `ferry sync` as the command line asked for it. */
export interface SyncRun {
  commandLine: SyncCommandLine;
  jobs?: number | undefined;
  retryPasses?: number | undefined;
  keepGoing: boolean;
  dryRun: boolean;
  preserveDigests: boolean;
  retryTimes?: number | undefined;
  shard?: string | undefined;
  report?: string | undefined;
  digestfile?: string | undefined;
  log?: string | undefined;
  signatures: SignatureOptions;
  prune?: PruneSettings | undefined;
  /** `--watch`: cycles on this schedule until a signal. */
  watch?: { schedule: Schedule; jitterMs: number | undefined; metricsAddr: string | undefined } | undefined;
}

/**
 * Runs `ferry sync`: reads the input, runs the library's sync with progress
 * and per-image failures rendered, and writes `--report` whenever the run
 * ends (see {@link SyncRunOutput}). With `--watch`, cycles until a signal.
 */
export async function runSync(ctx: CommandContext, run: SyncRun): Promise<void> {
  // Read inside the run, so that the report also says why a malformed setting refused it.
  const settings = (input: Awaited<ReturnType<typeof loadSyncCommandLine>>) => ({
    jobs: run.jobs,
    retryPasses: run.retryPasses ?? (input.imageSyncer ? IMAGE_SYNCER_RETRY_PASSES : undefined),
    preserveDigests: run.preserveDigests,
    retryTimes: run.retryTimes,
    shard: run.shard !== undefined ? parseShard(run.shard) : undefined,
    sourceOverrides: input.sourceOverrides,
    destinationOverrides: input.destinationOverrides,
    access: run.commandLine.authfile !== undefined ? { authFile: run.commandLine.authfile } : undefined,
    signatures: run.signatures,
    prune: run.prune,
  });
  if (run.watch) {
    if (run.dryRun) throw new FerryError('USAGE', '--watch and --dry-run cannot be combined');
    if (run.digestfile !== undefined) throw new FerryError('USAGE', '--digestfile goes with a single run, not --watch', { hint: '--report is rewritten after every cycle' });
    const input = await loadSyncCommandLine(run.commandLine, { signal: ctx.signal });
    for (const w of input.spec.warnings) ctx.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);
    const { runWatch } = await import('./watch-run.ts');
    return runWatch(ctx, {
      ...settings(input),
      ...run.watch,
      keepGoing: true,
      load: async (signal) => (await loadSyncCommandLine(run.commandLine, { signal })).spec,
      report: run.report,
      log: run.log,
    });
  }
  // A dry run copies nothing, so it writes no digest file.
  const out = new SyncRunOutput(ctx, { report: run.report, digestfile: run.dryRun ? undefined : run.digestfile, log: run.log });
  await out.run(async () => {
    const input = await loadSyncCommandLine(run.commandLine, { signal: ctx.signal });
    out.output.info(`Reading ${input.read}`);
    for (const w of input.spec.warnings) out.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);
    const result = await sync(input.spec, {
      ...settings(input),
      keepGoing: run.keepGoing || input.imageSyncer,
      dryRun: run.dryRun,
      signal: ctx.signal,
      ...out.hooks(),
    });
    out.finish(result);
  });
}
