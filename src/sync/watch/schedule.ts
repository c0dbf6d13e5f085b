import { Cron } from 'croner';
import { FerryError } from '../../errors.ts';

/** When watch cycles start: every `ms` after the previous one ended, or at the times a cron expression names. */
export type Schedule = { kind: 'interval'; ms: number } | { kind: 'cron'; expression: string; cron: Cron };

/** `--watch` without `--interval` or `--schedule`: often enough to follow releases, rare enough for rate-limited registries. */
export const DEFAULT_INTERVAL_MS = 15 * 60_000;
/** Jitter by default: this share of the wait … */
export const DEFAULT_JITTER_FRACTION = 0.1;
/** … at most this, so many replicas spread out without drifting far from the schedule. */
export const MAX_DEFAULT_JITTER_MS = 60_000;

export function intervalSchedule(ms: number): Schedule {
  if (!Number.isFinite(ms) || ms <= 0) throw new FerryError('USAGE', '--interval must be longer than 0');
  return { kind: 'interval', ms };
}

/**
 * A cron schedule (`*\/15 * * * *`, `0 3 * * *`, `@hourly`; five fields, or
 * six with seconds), read by croner, in the local time zone unless `timezone`
 * names one.
 *
 * @throws FerryError `USAGE` naming what is wrong with the expression.
 */
export function cronSchedule(expression: string, timezone?: string | undefined): Schedule {
  try {
    const cron = new Cron(expression, { paused: true, mode: '5-or-6-parts', ...(timezone !== undefined ? { timezone } : {}) });
    if (cron.nextRun() === null) throw new Error('it never fires');
    return { kind: 'cron', expression, cron };
  } catch (error) {
    throw new FerryError('USAGE', `--schedule "${expression}": ${(error as Error).message.replace(/^CronPattern: /, '')}`, {
      hint: 'five fields: minute hour day-of-month month day-of-week, e.g. "*/15 * * * *" or "0 3 * * *"; or @hourly, @daily',
    });
  }
}

/** Milliseconds from `now` until the next cycle is due (a cycle that ended after its slot starts the next at the following one). */
export function untilNext(schedule: Schedule, now: number): number {
  if (schedule.kind === 'interval') return schedule.ms;
  const next = schedule.cron.nextRun(new Date(now));
  return next === null ? Number.POSITIVE_INFINITY : Math.max(0, next.getTime() - now);
}

/** The default jitter for a wait: {@link DEFAULT_JITTER_FRACTION} of it, at most {@link MAX_DEFAULT_JITTER_MS}. */
export function defaultJitterMs(waitMs: number): number {
  return Math.min(MAX_DEFAULT_JITTER_MS, Math.round(waitMs * DEFAULT_JITTER_FRACTION));
}
