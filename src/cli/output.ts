import { FerryError } from '../errors.ts';

/** Exit codes, documented in the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const;

/** How the user asked to be told things. */
export interface OutputMode {
  quiet: boolean;
  json: boolean;
  debug: boolean;
  /** The log stream is a terminal: progress may redraw lines. */
  tty: boolean;
}

/** Where output goes: anything with a synchronous-enough `write` (process streams, a log file). */
export interface Sink {
  write(text: string): unknown;
}

export interface Output {
  mode: OutputMode;
  /** Results: stdout. */
  out(text: string): void;
  /** Messages and progress: the log (stderr, or `--log FILE`); silenced by -q and --json. */
  info(text: string): void;
  /** A warning: a JSON record under --json, else the log (silenced by -q). */
  warn(text: string): void;
  /** One machine-readable record on stdout (--json). */
  record(value: unknown): void;
  /**
   * A failure, coded: under --json a record `{"error": {code, message, hint, image}}`
   * on stdout with the events; otherwise "ferry: …" and "hint: …" lines on the
   * log (and on stderr too when the log is a file, so the terminal says why).
   */
  error(err: unknown, image?: string): void;
  /** Raw text to the log stream (progress redraws); nothing is added. */
  terminal(text: string): void;
  /** The same output with its log written to `sink` (`--log FILE`), which is not a terminal. */
  withLog(sink: Sink): Output;
}

/** A failure as a JSON object: what `--json` prints and reports carry. */
export interface ErrorRecord {
  code: string;
  message: string;
  hint?: string | undefined;
  image?: string | undefined;
}

const BUG_HINT = 'this is a bug in ferry; please report it with the command you ran (secrets removed)';

/** An error as a record; anything that is not a FerryError is a bug and says so. */
export function errorRecord(err: unknown, image?: string): ErrorRecord {
  if (err instanceof FerryError) return { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}), ...(image ? { image } : {}) };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message: `internal error: ${message}`, hint: BUG_HINT, ...(image ? { image } : {}) };
}

export function createOutput(mode: OutputMode, sinks: { stdout: Sink; stderr: Sink } = { stdout: process.stdout, stderr: process.stderr }, log: Sink = sinks.stderr): Output {
  const line = (text: string) => (text.endsWith('\n') ? text : `${text}\n`);
  const output: Output = {
    mode,
    out: (text) => void sinks.stdout.write(line(text)),
    info: (text) => {
      if (!mode.quiet && !mode.json) log.write(line(text));
    },
    warn: (text) => {
      if (mode.json) output.record({ warning: text });
      else if (!mode.quiet) log.write(`ferry: warning: ${line(text)}`);
    },
    record: (value) => void sinks.stdout.write(`${JSON.stringify(value)}\n`),
    error: (err, image) => {
      if (mode.json) {
        output.record({ error: errorRecord(err, image) });
        return;
      }
      const text = `${describeError(err, mode.debug)}\n`;
      log.write(text);
      if (log !== sinks.stderr) sinks.stderr.write(text);
    },
    terminal: (text) => void log.write(text),
    withLog: (sink) => createOutput({ ...mode, tty: false }, sinks, sink),
  };
  return output;
}

/** Exit code for an error: 2 for "image not found" and usage errors, 130 when cancelled, 1 for everything else. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof FerryError && (err.code === 'NOT_FOUND' || err.code === 'USAGE' || err.code === 'INVALID_REFERENCE')) return EXIT.usage;
  if (err instanceof FerryError && err.code === 'ABORTED') return EXIT.interrupted;
  return EXIT.failure;
}

/** One or two lines for the user: what failed, and what to try. Never a stack trace (unless --debug, and never secrets). */
export function describeError(err: unknown, debug = false): string {
  const record = errorRecord(err);
  const lines = [`ferry: ${record.message}`];
  if (record.hint) lines.push(`hint: ${record.hint}`);
  if (debug && err instanceof Error && err.cause instanceof Error && err.cause.message !== err.message) lines.push(`cause: ${err.cause.message}`);
  if (debug && !(err instanceof FerryError) && err instanceof Error && err.stack) lines.push(err.stack);
  return lines.join('\n');
}

/** `1 image`, `2 images`: a count with its noun in the right number. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
