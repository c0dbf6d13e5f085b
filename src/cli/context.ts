import type { Output } from './output.ts';
import type { Program } from './program.ts';

/** What every command gets: where to print and a signal that fires on SIGINT/SIGTERM. */
export interface CommandContext {
  output: Output;
  signal: AbortSignal;
  /** Sets the process exit code without exiting (the last word wins only if higher). */
  setExitCode(code: number): void;
  /**
   * Registers last words: a synchronous hook run before the process is ended
   * by force (a second signal, a run that does not stop within the grace
   * after the first, an internal error that escaped). A sync writes its
   * report there. Returns the function that unregisters it.
   */
  atExit(hook: () => void): () => void;
  /**
   * Declares that the command ends by design on SIGINT/SIGTERM (a server
   * draining its requests, a watch abandoning its cycle): its own orderly
   * stop is not cut short by the forced end, and it exits 0 rather than
   * 130. A second signal still ends it at once.
   */
  endsOnSignal(): void;
}

/** A command module: adds its subcommand to the program. */
export type CommandModule = (program: Program, ctx: CommandContext) => void;
