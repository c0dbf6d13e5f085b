import { execFileSync } from 'node:child_process';
import type { Measured } from './measure.ts';
import { max, median, min, mib, secs } from './report.ts';
import { reportFailure } from './tools.ts';

/**
 * Runs two tools on the same scenario, alternating (ABAB…, with the order
 * flipped every other round so neither always runs on a warmer machine), and
 * collects every measurement. `prepare` runs before each command (e.g. a
 * fresh, empty destination) and `cleanup` after it, outside the timing.
 */

export interface Tool<C> {
  name: string;
  run: (context: C) => Promise<Measured>;
}

export interface Series {
  tool: string;
  runs: Measured[];
  /** The command line of the last run (for the report). */
  command: string;
}

export interface AlternateOptions<C> {
  runs: number;
  /** Before each run, untimed: e.g. a fresh destination. */
  prepare: (tool: string, round: number) => Promise<C>;
  /** After each run (also a failed one), untimed: measure what it wrote, then remove it. */
  cleanup: (context: C, tool: string, round: number) => Promise<void>;
  /** Printed before each run, e.g. `copy 1 GiB`. */
  label: string;
}

/** Flushes dirty pages so one run's write-back does not land in the next run's time. */
export function flushDisks(): void {
  execFileSync('sync');
}

export async function alternate<C>(tools: ReadonlyArray<Tool<C>>, options: AlternateOptions<C>): Promise<Series[]> {
  const series = tools.map((t) => ({ tool: t.name, runs: [] as Measured[], command: '' }));
  for (let round = 0; round < options.runs; round++) {
    const order = round % 2 === 0 ? tools.map((_, i) => i) : tools.map((_, i) => tools.length - 1 - i);
    for (const i of order) {
      const tool = tools[i]!;
      const context = await options.prepare(tool.name, round);
      try {
        flushDisks();
        const run = await tool.run(context);
        series[i]!.runs.push(run);
        series[i]!.command = run.command;
        const status = run.code === 0 ? '' : ` FAILED (exit ${run.code})`;
        console.error(`  ${options.label}: ${tool.name} run ${round + 1}/${options.runs}: ${secs(run.seconds)}, CPU ${secs(run.cpuSeconds)}, ${mib(run.rssMiB)}${status}`);
        if (run.code !== 0) reportFailure(run);
      } finally {
        await options.cleanup(context, tool.name, round);
      }
    }
  }
  return series;
}

/** Successful runs only: a failed run's time says nothing about speed. */
function ok(s: Series): Measured[] {
  return s.runs.filter((r) => r.code === 0);
}

/** `min / median / max` of the values, each with `format`. */
export function spread(values: readonly number[], format: (n: number) => string = (n) => n.toFixed(2)): string {
  return `${format(min(values))} / ${format(median(values))} / ${format(max(values))}`;
}

/**
 * `a`'s time over `b`'s, round by round (the runs of one round ran back to
 * back, so they saw the same machine): min / median / max over the rounds
 * where both succeeded.
 */
export function roundRatios(a: Series, b: Series): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.runs.length, b.runs.length); i++) {
    const x = a.runs[i]!;
    const y = b.runs[i]!;
    if (x.code === 0 && y.code === 0 && y.seconds > 0) out.push(x.seconds / y.seconds);
  }
  return out;
}

/** {@link roundRatios} as a table cell: `min / median / max`, or n/a. */
export function ratioCell(a: Series, b: Series): string {
  const r = roundRatios(a, b);
  return r.length === 0 ? 'n/a' : spread(r);
}

/**
 * Table cells for one series with the spread of every figure: time
 * (min / median / max), CPU seconds (min / median / max), peak RSS (median / max).
 */
export function spreadCells(s: Series): string[] {
  const good = ok(s);
  const failed = s.runs.length - good.length;
  if (good.length === 0) return [s.tool, `all ${failed} runs failed`, '', ''];
  return [
    s.tool,
    spread(good.map((r) => r.seconds)) + (failed > 0 ? ` (${failed} failed)` : ''),
    spread(good.map((r) => r.cpuSeconds)),
    `${mib(medianRss(s))} / ${mib(maxRss(s))}`,
  ];
}

export function medianRss(s: Series): number {
  return median(ok(s).map((r) => r.rssMiB));
}

export function maxRss(s: Series): number {
  return max(ok(s).map((r) => r.rssMiB));
}
