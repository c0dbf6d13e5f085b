import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { trackChild } from './cleanup.ts';
import { peerPath } from './peers.ts';
import { runChild } from './run-child.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * Runs the real CLI (`bin/ferry`) as a child process, as a user would, for
 * tests of exit codes, messages and what reaches the terminal.
 */

/** The executable under test. */
export const FERRY_BIN = fileURLToPath(new URL('../../bin/ferry', import.meta.url));

/** A copy of a few MiB over loopback takes seconds; this only ends a hung run. */
const DEFAULT_TIMEOUT_MS = 60_000;

/** Variables that point ferry at the user's own auth files, config or certs.d; unset unless a test sets them. */
const USER_VARIABLES = new Set(['REGISTRY_AUTH_FILE', 'DOCKER_CONFIG', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'FERRY_SYSTEM_CERTS_D', 'FERRY_PROGRESS_INTERVAL']);

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
  /** Extra environment; a value of undefined removes the variable. HOME defaults to a fresh empty directory per run. */
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (without it stdin is closed at once). */
  input?: string;
  timeoutMs?: number;
  /** Working directory, for relative paths as a user types them. */
  cwd?: string;
  signal?: AbortSignal;
}

/**
 * The child's environment: the test process's, minus anything pointing at
 * the machine user's auth files or certs.d, with HOME set to `home` (an empty
 * directory of its own unless the caller gives HOME), so no run sees what
 * another run left there.
 */
function envWithHome(home: string, extra: Record<string, string | undefined>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !USER_VARIABLES.has(key)) env[key] = value;
  }
  env['HOME'] = home;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/**
 * The environment for a ferry child the caller starts and manages itself
 * (e.g. a long-running `ferry serve`): as {@link runFerry} gives, with a
 * fresh empty HOME of its own, removed when the test process exits.
 */
export async function childEnv(extra: Record<string, string | undefined>): Promise<Record<string, string>> {
  return envWithHome(await tempDir('ferry-cli-home'), extra);
}

/** Runs `fn` with a fresh empty HOME, removed afterwards. */
async function withFreshHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await tempDir('ferry-cli-home');
  try {
    return await fn(home);
  } finally {
    await removeTempDir(home);
  }
}

/** Runs `bin/ferry ARGS…` and returns stdout as bytes (for output that must match byte for byte, e.g. `inspect --raw`). */
export async function runFerryRaw(args: readonly string[], options: FerryRunOptions = {}): Promise<FerryRawRun> {
  return withFreshHome((home) =>
    runChild(FERRY_BIN, args, {
      env: envWithHome(home, options.env ?? {}),
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      input: options.input ?? '',
      cwd: options.cwd,
      signal: options.signal,
    }),
  );
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

/** A `bin/ferry` process the test talks to while it runs (to signal or kill it, or to reach a server it started). */
export interface FerryProcess {
  child: ChildProcess;
  /** What it printed so far. Under a terminal (`tty`), both are what the terminal showed. */
  stdout(): string;
  stderr(): string;
  /** Resolves with stderr once `pattern` matches it; rejects when the process exits first. */
  waitForStderr(pattern: RegExp): Promise<RegExpExecArray>;
  /** Resolves when the process has exited: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface SpawnFerryOptions extends Pick<FerryRunOptions, 'env' | 'cwd'> {
  /**
   * Run under a pseudo-terminal (util-linux `script`), as a user at a
   * terminal would: stdout and stderr are then one stream, the terminal's.
   */
  tty?: boolean;
}

/** Quotes one word for `sh -c`. */
function shellWord(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Starts `bin/ferry ARGS…` without waiting for it, with a fresh HOME
 * (removed when it exits). It is killed with the test process if it lingers.
 */
export async function spawnFerry(args: readonly string[], options: SpawnFerryOptions = {}): Promise<FerryProcess> {
  const home = await tempDir('ferry-cli-home');
  const env = envWithHome(home, options.env ?? {});
  // script(1): -q no banner, -e the command's exit status, -f flush at once; the typescript file is not wanted.
  const child = options.tty
    ? spawn(peerPath('script'), ['-qef', '-c', [FERRY_BIN, ...args].map(shellWord).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...env, TERM: 'xterm' } })
    : spawn(FERRY_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) });
  trackChild(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  let closed = false;
  const onOutput = (into: 'out' | 'err') => (b: Buffer) => {
    const text = b.toString('utf8');
    if (into === 'out' || options.tty) out += text;
    if (into === 'err' || options.tty) err += text;
    for (const check of waiters) check();
  };
  child.stdout!.on('data', onOutput('out'));
  child.stderr!.on('data', onOutput('err'));
  const exited = (async () => {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    closed = true;
    for (const check of waiters) check();
    await removeTempDir(home);
    return { code, signal };
  })();
  const waitForStderr = (pattern: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(err);
        if (match) {
          waiters.delete(check);
          resolve(match);
        } else if (closed) {
          waiters.delete(check);
          reject(new Error(`ferry ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}:\n${err}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitForStderr, exited };
}

/** How a spawned ferry ended, with all it printed: a run to assert on (and to {@link explain}). */
export async function finishedRun(ferry: FerryProcess): Promise<FerryRun & { signal: NodeJS.Signals | null }> {
  const { code, signal } = await ferry.exited;
  return { code, signal, stdout: ferry.stdout(), stderr: ferry.stderr() };
}

/** The records of a `--json` run's stdout, one JSON object per line. */
export function jsonRecords(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The `retry` event records of a `--json` run. */
export function retryEvents(stdout: string): Array<{ attempt: number; delayMs: number; reason: string; what: string }> {
  return jsonRecords(stdout)
    .filter((r) => r['event'] === 'retry')
    .map((r) => ({ attempt: Number(r['attempt']), delayMs: Number(r['delayMs']), reason: String(r['reason']), what: String(r['what']) }));
}
