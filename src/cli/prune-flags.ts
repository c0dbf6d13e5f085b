import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import type { PruneDeletion, PruneResult } from '../sync/prune/prune.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';
import type { Output } from './output.ts';
import { EXIT } from './output.ts';
import { parsePositiveInt } from './registry-flags.ts';
import type { NoOptions, OptionsOf } from './typed-options.ts';

/** The prune flags, on a bare command: their option type is inferred from here. */
const pruneFlagsOn = (command: Command<[], NoOptions, NoOptions>, what: string) =>
  command
    .option('--prune', `delete ${what} that ferry wrote in an earlier --prune run and the input no longer selects (never names ferry did not write)`)
    .addOption(new Option('--max-delete <N>', 'with --prune: delete nothing when more than N deletions are due (default: 10% of the names ferry owns there, at least 20)').argParser(parsePositiveInt('--max-delete')))
    .option('--state <FILE>', 'with --prune: keep what ferry wrote in FILE (default: a `_ferry-state` artifact in each registry repository, `ferry-state.json` in an OCI layout)');

/** The prune flags' values, spelt out as the signing flags' are (see SigningFlags). */
export type PruneFlags = {
  prune?: true;
  maxDelete?: number;
  state?: string;
};

// Fails to compile when PruneFlags and the options declared above disagree.
const pruneFlagsAgree: [OptionsOf<typeof pruneFlagsOn>, PruneFlags] extends [PruneFlags, OptionsOf<typeof pruneFlagsOn>] ? true : never = true;
void pruneFlagsAgree;

/** `--prune`, `--max-delete N` and `--state FILE`, for every command that can make a destination exact. */
export function addPruneFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(command: Command<A, O, G>, what = 'destination tags'): Command<A, O & PruneFlags, G> {
  // commander adds options to the command itself and returns it: only the option type changes.
  return pruneFlagsOn(command as unknown as Command<[], NoOptions, NoOptions>, what) as unknown as Command<A, O & PruneFlags, G>;
}

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
