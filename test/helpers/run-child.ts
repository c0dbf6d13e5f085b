import { spawn } from 'node:child_process';
import { trackChild } from './cleanup.ts';

/** What a finished child process printed, and how it ended. */
export interface ChildResult {
  /** Exit status; null when a signal ended the process. */
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

export interface ChildOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  /** Written to stdin, which is then closed; without it stdin is not connected. */
  input?: string | undefined;
  /** Working directory (default the test process's). */
  cwd?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Runs a program to completion and collects its output; never throws for a
 * non-zero exit. The child is killed with the test process if it lingers.
 */
export function runChild(command: string, args: readonly string[], options: ChildOptions): Promise<ChildResult> {
  const child = spawn(command, args, {
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    env: options.env,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    timeout: options.timeoutMs,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  trackChild(child);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => stdout.push(b));
  child.stderr!.on('data', (b: Buffer) => stderr.push(b));
  if (options.input !== undefined) {
    // The child may exit before reading stdin; EPIPE then is not the test's concern.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(options.input);
  }
  return new Promise((resolve, reject) => {
    child.once('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ABORT_ERR') return; // close still follows
      reject(err);
    });
    child.once('close', (code) => resolve({ code, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') }));
  });
}
