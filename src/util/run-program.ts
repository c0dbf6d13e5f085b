import { spawn } from 'node:child_process';
import { abortError, throwIfAborted } from '../errors.ts';

/** What a finished program printed and how it ended; `missing` when it is not installed. */
export type ProgramResult =
  | { kind: 'exited'; code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }
  | { kind: 'missing' }
  | { kind: 'timeout'; ms: number };

export interface RunProgramOptions {
  /** Bytes written to stdin, which is then closed. */
  input?: Uint8Array | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  timeoutMs: number;
  /** Output beyond this is cut (the program is then killed). */
  maxOutput: number;
  signal?: AbortSignal | undefined;
}

/**
 * Runs a program to completion with binary stdin and stdout. Never throws for
 * a failing exit; throws ABORTED when the signal fires (the program is killed).
 */
export async function runProgram(program: string, args: readonly string[], options: RunProgramOptions): Promise<ProgramResult> {
  throwIfAborted(options.signal);
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    const collect = (into: Buffer[]) => (chunk: Buffer): void => {
      size += chunk.length;
      if (size > options.maxOutput) child.kill('SIGKILL');
      else into.push(chunk);
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(() => reject(abortError(options.signal)));
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => resolve({ kind: 'timeout', ms: options.timeoutMs }));
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.once('error', (error: NodeJS.ErrnoException) => finish(() => (error.code === 'ENOENT' ? resolve({ kind: 'missing' }) : reject(error))));
    child.once('close', (code, signal) =>
      finish(() => resolve({ kind: 'exited', code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString('utf8') })),
    );
    // The program may exit before reading all of stdin; EPIPE then says nothing about the result.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? Buffer.alloc(0));
  });
}
