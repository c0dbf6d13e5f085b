import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { after } from 'node:test';

/**
 * Last-resort cleanup for the test process: children still running and temp
 * dirs still present when it exits (normally, by an uncaught error, or by the
 * SIGTERM/SIGINT node --test sends on timeout) are killed and removed. Tests
 * should still stop what they start; this only stops leaks.
 */

/** Anything with node:test's `after` hook: a TestContext or a suite. */
export interface AfterHook {
  after(fn: () => unknown): void;
}

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
let installed = false;

function cleanupNow(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('exit', cleanupNow);
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      cleanupNow();
      // Re-raise so the exit status still says which signal ended the run,
      // unless someone else (the test runner) handles the signal.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

/** Kills `child` when the test process exits, unless it is already gone. */
export function trackChild(child: ChildProcess): void {
  install();
  children.add(child);
  child.once('exit', () => children.delete(child));
}

/** Removes `dir` when the test process exits; {@link untrackDir} when removed earlier. */
export function trackDir(dir: string): void {
  install();
  dirs.add(dir);
}

export function untrackDir(dir: string): void {
  dirs.delete(dir);
}

/**
 * Hooks for fixtures a describe block shares (a daemon, a registry): what
 * they register runs after the block's last test, newest first. Call it in
 * the describe callback.
 */
export function suiteHooks(): AfterHook {
  const cleanups: Array<() => unknown> = [];
  after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });
  return { after: (fn) => void cleanups.push(fn) };
}
