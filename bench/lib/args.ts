import { parseArgs } from 'node:util';

/**
 * Command-line options shared by the benchmark scripts: `--runs N` (runs per
 * tool and scenario) and `--quick` (smaller data, for trying a script out).
 */

export interface BenchArgs {
  runs: number;
  quick: boolean;
}

export function benchArgs(defaultRuns: number): BenchArgs {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: 'string' }, quick: { type: 'boolean', default: false } },
    strict: true,
  });
  const runs = values.runs === undefined ? defaultRuns : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error(`--runs must be a positive integer (got "${values.runs}")`);
    process.exit(2);
  }
  return { runs, quick: values.quick ?? false };
}
