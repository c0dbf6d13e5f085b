import { fileURLToPath } from 'node:url';
import { runChild } from './run-child.ts';
import { tempDir } from './tmp.ts';

/**
 * Runs the real CLI (`bin/ferry`) as a child process, as a user would, for
 * tests of exit codes, messages and what reaches the terminal.
 */

/** The executable under test. */
export const FERRY_BIN = fileURLToPath(new URL('../../bin/ferry', import.meta.url));

/** A copy of a few MiB over loopback takes seconds; this only ends a hung run. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Variables that point ferry at the user's own auth files or config; unset unless a test sets them. */
const USER_VARIABLES = new Set(['REGISTRY_AUTH_FILE', 'DOCKER_CONFIG', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME']);

export interface FerryRun {
  /** Exit status; null when a signal ended the process. */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface FerryRawRun {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface FerryRunOptions {
  /** Extra environment; a value of undefined removes the variable. HOME defaults to an empty directory. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (without it stdin is closed at once). */
  input?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

let emptyHome: Promise<string> | undefined;

/**
 * An empty HOME shared by the runs of this test process, so no auth file,
 * credential helper or certs.d directory of the machine's user takes part.
 */
export function isolatedHome(): Promise<string> {
  emptyHome ??= tempDir('ferry-cli-home');
  return emptyHome;
}

/** The environment a ferry child runs with: the test's, minus the user's auth and config variables, HOME isolated, then `extra`. */
export async function childEnv(extra: Record<string, string | undefined>): Promise<Record<string, string>> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !USER_VARIABLES.has(key)) env[key] = value;
  }
  env['HOME'] = await isolatedHome();
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Runs `bin/ferry ARGS…` and returns stdout as bytes (for output that must match byte for byte, e.g. `inspect --raw`). */
export async function runFerryRaw(args: readonly string[], options: FerryRunOptions = {}): Promise<FerryRawRun> {
  return runChild(FERRY_BIN, args, {
    env: await childEnv(options.env ?? {}),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    input: options.input ?? '',
    signal: options.signal,
  });
}

/** Runs `bin/ferry ARGS…` and collects its output as text; never throws for a non-zero exit. */
export async function runFerry(args: readonly string[], options: FerryRunOptions = {}): Promise<FerryRun> {
  const run = await runFerryRaw(args, options);
  return { code: run.code, stdout: run.stdout.toString('utf8'), stderr: run.stderr };
}

/** A failure message showing what a run printed: `assert.equal(run.code, 0, explain(run))`. */
export function explain(run: FerryRun | FerryRawRun): string {
  return `ferry exited ${run.code}\n--- stdout\n${run.stdout.toString()}\n--- stderr\n${run.stderr}`;
}
