import { FerryError } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';
import { cronSchedule, DEFAULT_INTERVAL_MS, intervalSchedule, type Schedule } from '../sync/watch/schedule.ts';

/** The schedule the flags ask for: `--schedule CRON`, `--interval D`, or the default interval. */
export function watchSchedule(opts: Record<string, unknown>): { schedule: Schedule; jitterMs: number | undefined } {
  const interval = opts['interval'] as string | undefined;
  const cron = opts['schedule'] as string | undefined;
  const jitter = opts['jitter'] as string | undefined;
  if (opts['watch'] !== true) {
    const stray = ['interval', 'schedule', 'jitter', 'metricsAddr'].find((k) => opts[k] !== undefined);
    if (stray !== undefined) throw new FerryError('USAGE', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} goes with --watch`);
  }
  if (interval !== undefined && cron !== undefined) throw new FerryError('USAGE', '--interval and --schedule cannot be combined: give one');
  const schedule = cron !== undefined ? cronSchedule(cron) : intervalSchedule(interval !== undefined ? parseDuration(interval, '--interval') : DEFAULT_INTERVAL_MS);
  return { schedule, jitterMs: jitter !== undefined ? parseDuration(jitter, '--jitter') : undefined };
}

