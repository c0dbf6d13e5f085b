import { writeFileAtomic } from '../util/atomic-write.ts';
import { formatDuration } from '../util/duration.ts';
import { SyncWatcher, type WatchEvent, type WatchSyncOptions } from '../sync/watch/watch-sync.ts';
import type { CommandContext } from './context.ts';
import { openLogFile } from './log-file.ts';
import { renderDeletion } from './prune-flags.ts';
import { itemFailure, summaryLine } from './sync-output.ts';

export interface WatchRun extends Omit<WatchSyncOptions, 'signal' | 'onWatch'> {
  /** Rewritten after every cycle. */
  report?: string | undefined;
  /** `--log FILE`: messages there instead of stderr. */
  log?: string | undefined;
}

/**
 * `ferry sync --watch`: cycles until SIGTERM or SIGINT (which abandon the
 * running cycle cleanly; the exit code is then 0), SIGHUP for a cycle now with
 * the input read again, one summary line per cycle, `--report` rewritten
 * after each.
 */
export async function runWatch(ctx: CommandContext, run: WatchRun): Promise<void> {
  // SIGTERM and SIGINT end the watch by design: the cycle is abandoned and ferry exits 0.
  ctx.endsOnSignal();
  const { report, log, ...options } = run;
  const logFile = log !== undefined ? openLogFile(log) : undefined;
  const output = logFile ? ctx.output.withLog(logFile) : ctx.output;
  const render = async (event: WatchEvent): Promise<void> => {
    if (event.type === 'metrics') output.info(`ferry: metrics at ${event.url}/metrics (health: /healthz, /readyz)`);
    else if (event.type === 'cycle-start') output.info(`cycle ${event.cycle}: starting`);
    else if (event.type === 'config-error') output.warn(`cycle ${event.cycle}: cannot read the input: ${event.error.message}${event.kept ? ' (using the last input that could be read)' : ''}`);
    else if (event.type === 'wait') output.info(`next cycle in ${formatDuration(event.wait.ms)} (${event.wait.at.toISOString()})${event.wait.reason === 'backoff' ? ', backing off: a registry rate-limited ferry' : ''}`);
    else if (event.type === 'cycle-end') {
      if (event.result) {
        output.info(`${summaryLine(`cycle ${event.cycle}:`, event.result.report)} in ${formatDuration(event.durationMs)}`);
        if (output.mode.json) output.record({ cycle: event.cycle, result: event.result.report });
        if (report !== undefined) await writeFileAtomic(report, `${JSON.stringify(event.result.report, null, 2)}\n`).catch((e: Error) => output.warn(e.message));
      } else if (event.error) {
        output.warn(`cycle ${event.cycle} failed: ${event.error.message}${event.error.hint ? ` (${event.error.hint})` : ''}`);
      }
    }
  };
  // Reports are written in order: each cycle's after the one before.
  let rendering = Promise.resolve();
  const watcher = new SyncWatcher({
    ...options,
    onItem: (r) => {
      itemFailure(output, r);
      options.onItem?.(r);
    },
    onDeletion: (d) => {
      renderDeletion(output, d);
      options.onDeletion?.(d);
    },
    signal: ctx.signal,
    onWatch: (event) => void (rendering = rendering.then(() => render(event))),
  });
  const onHangUp = (): void => {
    output.info('ferry: SIGHUP: reading the input again, cycle now');
    watcher.wake();
  };
  process.on('SIGHUP', onHangUp);
  try {
    await watcher.run();
    await rendering;
    output.info('ferry: stopped watching');
  } finally {
    process.off('SIGHUP', onHangUp);
    await rendering;
    logFile?.close();
  }
}
