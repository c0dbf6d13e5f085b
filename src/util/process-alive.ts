/**
 * Whether a process with this pid exists on this machine (EPERM means it
 * exists but belongs to someone else). Temp files and locks carry their
 * writer's pid, so leftovers of dead processes can be told from live work.
 */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
