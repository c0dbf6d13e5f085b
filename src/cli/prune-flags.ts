import { Option, type Command } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import type { PruneDeletion, PruneResult } from '../sync/prune/prune.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';
import type { Output } from './output.ts';
import { EXIT } from './output.ts';
import { parsePositiveInt } from './registry-flags.ts';
import { flagGroup, type NoOptions } from './typed-options.ts';

/** The prune flags, on a bare command: their option type is inferred from here. */
const pruneFlagsOn = (command: Command<[], NoOptions, NoOptions>, what = 'destination tags') =>
  command
    .option('--prune', `delete ${what} that ferry wrote in an earlier --prune run and the input no longer selects (never names ferry did not write)`)
    .addOption(new Option('--max-delete <N>', 'with --prune: delete nothing when more than N deletions are due (default: 10% of the names ferry owns there, at least 20)').argParser(parsePositiveInt('--max-delete')))
    .option('--state <FILE>', 'with --prune: keep what ferry wrote in FILE (default: a `_ferry-state` artifact in each registry repository, `ferry-state.json` in an OCI layout)');

/** The prune flags' values, spelt out (see {@link flagGroup}). */
export type PruneFlags = {
  prune?: true;
  maxDelete?: number;
  state?: string;
};

/** `--prune`, `--max-delete N` and `--state FILE`, for every command that can make a destination exact; `what` says what is deleted. */
export const addPruneFlags = flagGroup<PruneFlags, [what?: string]>()(pruneFlagsOn, true);

/** The prune settings the flags ask for; undefined without --prune. */
export function pruneSettings(opts: PruneFlags): PruneSettings | undefined {
  const { maxDelete, state: stateFile } = opts;
  if (opts.prune !== true) {
    if (maxDelete !== undefined || stateFile !== undefined) throw new FerryError('USAGE', `${maxDelete !== undefined ? '--max-delete' : '--state'} goes with --prune`);
    return undefined;
  }
  return { maxDelete, stateFile };
}

/**
 * One deletion as the user reads it: `delete REF (digest …)` for a dry run
 * and `deleted REF (digest …)` on stdout; refusals and names left alone as
 * warnings; one JSON record each with --json.
 */
export function renderDeletion(output: Output, d: PruneDeletion): void {
  if (output.mode.json) return output.record({ deletion: d });
  const what = `${d.destination} (digest ${d.digest})`;
  if (d.status === 'planned') output.out(`delete ${what}`);
  else if (d.status === 'deleted') output.out(`deleted ${what}`);
  else if (d.status === 'failed') output.warn(`cannot delete ${what}: ${d.reason ?? 'failed'}`);
  else if (d.status === 'kept') output.warn(`kept ${what}: ${d.reason ?? ''}`);
}

/** The exit code a prune leaves: failure when deletions failed or the limit stopped them (saying why); a dry run only warned. */
export function pruneExitCode(output: Output, result: PruneResult | undefined, dryRun = false): number {
  if (!result || dryRun) return EXIT.ok;
  if (result.stoppedBy) {
    output.error(result.stoppedBy);
    return EXIT.failure;
  }
  const failed = result.deletions.filter((d) => d.status === 'failed').length;
  if (failed > 0) {
    output.warn(`${failed} deletion(s) failed`);
    return EXIT.failure;
  }
  return EXIT.ok;
}
