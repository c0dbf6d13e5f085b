import { Option, type Command } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import { parseDuration } from '../util/duration.ts';
import { cronSchedule, DEFAULT_INTERVAL_MS, intervalSchedule, type Schedule } from '../sync/watch/schedule.ts';
import { flagGroup, type NoOptions } from './typed-options.ts';

/** The watch flags, on a bare command: their option type is inferred from here. */
const watchFlagsOn = (command: Command<[], NoOptions, NoOptions>) =>
  command
    .option('--watch', 'sync again and again: on --interval or --schedule, reading the input each cycle; SIGHUP for a cycle now; implies --keep-going')
    .addOption(new Option('--interval <DURATION>', 'with --watch: rest between the end of one cycle and the start of the next (default 15m)').argParser((v) => parseDuration(v, '--interval')))
    .option('--schedule <CRON>', 'with --watch: start cycles at these times instead, e.g. "*/15 * * * *" or "0 3 * * *"')
    .addOption(new Option('--jitter <DURATION>', 'with --watch: add up to this much at random to each wait (default 10% of it, at most 1m)').argParser((v) => parseDuration(v, '--jitter')))
    .option('--metrics-addr <HOST:PORT>', 'with --watch: serve Prometheus /metrics, /healthz and /readyz here');

/** The watch flags' values (durations in milliseconds), spelt out (see {@link flagGroup}). */
export type WatchFlags = {
  watch?: true;
  interval?: number;
  schedule?: string;
  jitter?: number;
  metricsAddr?: string;
};

/** `--watch` and what goes with it: the schedule, jitter and the metrics address. */
export const addWatchFlags = flagGroup<WatchFlags>()(watchFlagsOn, true);

const FLAG_NAMES = { interval: '--interval', schedule: '--schedule', jitter: '--jitter', metricsAddr: '--metrics-addr' } as const;

/**
 * The schedule the flags ask for: `--schedule CRON`, `--interval D`, or the
 * default interval; undefined without `--watch`.
 *
 * @throws FerryError `USAGE` for a flag of --watch without it, or both --interval and --schedule.
 */
export function watchSchedule(opts: WatchFlags): { schedule: Schedule; jitterMs: number | undefined; metricsAddr: string | undefined } | undefined {
  if (opts.watch !== true) {
    const stray = (Object.keys(FLAG_NAMES) as Array<keyof typeof FLAG_NAMES>).find((k) => opts[k] !== undefined);
    if (stray !== undefined) throw new FerryError('USAGE', `${FLAG_NAMES[stray]} goes with --watch`);
    return undefined;
  }
  if (opts.interval !== undefined && opts.schedule !== undefined) throw new FerryError('USAGE', '--interval and --schedule cannot be combined: give one');
  const schedule = opts.schedule !== undefined ? cronSchedule(opts.schedule) : intervalSchedule(opts.interval ?? DEFAULT_INTERVAL_MS);
  return { schedule, jitterMs: opts.jitter, metricsAddr: opts.metricsAddr };
}
