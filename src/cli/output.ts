import { FerryError } from '../errors.ts';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** How the user asked to be told things. */
export interface OutputMode {
  quiet: boolean;
  json: boolean;
  debug: boolean;
  /** stderr is a terminal: progress may redraw lines. */
  tty: boolean;
}

export interface Output {
  mode: OutputMode;
  /** Results: stdout. */
  out(text: string): void;
  /** Messages and progress: stderr (silenced by -q, except errors). */
  info(text: string): void;
  warn(text: string): void;
  /** One machine-readable record on stdout (--json). */
  record(value: unknown): void;
}

export function createOutput(mode: OutputMode, streams = { stdout: process.stdout, stderr: process.stderr }): Output {
  return {
    mode,
    out: (text) => void streams.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    info: (text) => {
      if (!mode.quiet && !mode.json) streams.stderr.write(`${text}\n`);
    },
    warn: (text) => {
      if (mode.json) streams.stdout.write(`${JSON.stringify({ warning: text })}\n`);
      else if (!mode.quiet) streams.stderr.write(`ferry: warning: ${text}\n`);
    },
    record: (value) => void streams.stdout.write(`${JSON.stringify(value)}\n`),
  };
}

/** Exit code for an error: 2 for "image not found" and usage errors, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof FerryError && (err.code === 'NOT_FOUND' || err.code === 'USAGE' || err.code === 'INVALID_REFERENCE')) return EXIT.usage;
  return EXIT.failure;
}

/** One or two lines for the user: what failed, and what to try. Never a stack trace (unless --debug, and never secrets). */
export function describeError(err: unknown, debug = false): string {
  if (err instanceof FerryError) {
    const lines = [`ferry: ${err.message}`];
    if (err.hint) lines.push(`hint: ${err.hint}`);
    if (debug && err.cause instanceof Error && err.cause.message !== err.message) lines.push(`cause: ${err.cause.message}`);
    return lines.join('\n');
  }
  const message = err instanceof Error ? err.message : String(err);
  return `ferry: internal error: ${message}\nhint: this is a bug in ferry; please report it with the command you ran (secrets removed)`;
}
