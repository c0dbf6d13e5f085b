import type { ChildProcess } from 'node:child_process';

/** Whether a child process has ended (by itself or by a signal). */
export function childExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Asks a child to stop (SIGTERM) and kills it (SIGKILL) if it has not exited after `graceMs`; resolves once it has. */
export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (childExited(child)) return;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}
