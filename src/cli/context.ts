import type { Command } from 'commander';
import type { Output } from './output.ts';

/** What every command gets: where to print and a signal that fires on SIGINT/SIGTERM. */
export interface CommandContext {
  output: Output;
  signal: AbortSignal;
  /** Sets the process exit code without exiting (the last word wins only if higher). */
  setExitCode(code: number): void;
}

/** A command module: adds its subcommand to the program. */
export type CommandModule = (program: Command, ctx: CommandContext) => void;
