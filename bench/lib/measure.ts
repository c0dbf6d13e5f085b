import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackChild } from '../../test/helpers/cleanup.ts';

/**
 * Runs one command the way a user would and measures it: wall time from
 * spawn to exit (here, in milliseconds) and the peak resident set size of the
 * child, as GNU time reports it (`%M`, the kernel's ru_maxrss of the waited
 * process: bin/ferry execs its way down to node, so this is node's peak),
 * and the CPU time (user + system, `%U %S`) of the command and its children.
 */

/** GNU time; its `-o` keeps the figure out of the command's own stderr. */
const TIME_BIN = '/usr/bin/time';
/** Long enough for a cold 1 GiB copy on a loaded 2-core box; only ends a hung run. */
const DEFAULT_TIMEOUT_MS = 15 * 60_000;

export interface Measured {
  /** The command line as run (for the report). */
  command: string;
  code: number | null;
  seconds: number;
  /** Peak RSS in MiB; NaN when GNU time did not report it. */
  rssMiB: number;
  /** User + system CPU seconds; NaN when GNU time did not report them. */
  cpuSeconds: number;
  /** The two parts of {@link cpuSeconds}. */
  userSeconds: number;
  systemSeconds: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Quotes an argument for display when the shell would need it. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** `cmd args…` as one displayable line. */
export function commandLine(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

/** Runs `cmd args…` under GNU time; never throws for a non-zero exit (the caller reports it). */
export async function measure(cmd: string, args: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-time-'));
  const timeFile = join(dir, 'time');
  try {
    const started = performance.now();
    const child = spawn(TIME_BIN, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    });
    trackChild(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => stdout.push(b));
    child.stderr.on('data', (b: Buffer) => stderr.push(b));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c) => resolve(c));
    });
    const seconds = (performance.now() - started) / 1000;
    const timeOut = await readFile(timeFile, 'utf8').catch(() => '');
    // GNU time writes "Command exited with non-zero status N" before the format line.
    const figures = /^([\d.]+) ([\d.]+) (\d+)$/.exec(timeOut.trim().split('\n').at(-1) ?? '');
    const [user, system, kb] = figures ? figures.slice(1).map(Number) : [NaN, NaN, NaN];
    return {
      command: commandLine(cmd, args),
      code,
      seconds,
      rssMiB: kb !== undefined && Number.isFinite(kb) && kb > 0 ? kb / 1024 : NaN,
      cpuSeconds: user !== undefined && system !== undefined ? user + system : NaN,
      userSeconds: user ?? NaN,
      systemSeconds: system ?? NaN,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The last `lines` lines of a command's output, for failure reports. */
export function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
