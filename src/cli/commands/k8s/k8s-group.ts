import type { Command, OptionValues } from '@commander-js/extra-typings';
import type { ResourceFileError } from '../../../k8s/resource-files.ts';
import type { CommandContext } from '../../context.ts';
import { EXIT } from '../../output.ts';

/** The `ferry k8s` command its subcommands are added to. */
export type K8sCommand = Command<[], OptionValues, OptionValues>;

/** Prints the files (or documents) that could not be read; they fail the command unless `fail` is false. */
export function reportFileErrors(ctx: CommandContext, errors: readonly ResourceFileError[], fail = true): void {
  for (const error of errors) {
    ctx.output.warn(`${error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file}: ${error.message} (that document is skipped)`);
  }
  if (fail && errors.length > 0) ctx.setExitCode(EXIT.failure);
}
