import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from '../../util/process-alive.ts';

/** Directory inside a layout where ferry stages blobs, uploads and index writes before renaming them into place. */
export const TEMP_DIR_NAME = '.ferry-tmp';

/**
 * A fresh temp file name owned by this process: `<pid>-<uuid><suffix>`. The pid
 * prefix lets a later run tell leftovers of dead processes from live writes.
 */
export function tempName(suffix = ''): string {
  return `${process.pid}-${randomUUID()}${suffix}`;
}


/** The pid a temp name was created by, or undefined for names ferry did not make. */
export function tempOwner(name: string): number | undefined {
  const m = /^(\d+)-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Removes `<prefix><pid>-<uuid>…` files in `dir` whose process is gone: stale
 * lock files moved aside by a process that died before deleting them.
 */
export async function removeStaleSiblings(dir: string, prefix: string): Promise<void> {
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue;
    const pid = tempOwner(name.slice(prefix.length));
    if (pid !== undefined && !isProcessAlive(pid)) await rm(join(dir, name), { force: true });
  }
}

/**
 * Removes temp files whose creating process is gone, so a killed run leaves
 * nothing behind once the store is opened again. Files of live processes
 * (including other ferry processes writing right now) are left alone.
 * @returns how many entries were removed.
 */
export async function removeStaleTemps(tempDir: string): Promise<number> {
  let names: string[];
  try {
    names = await readdir(tempDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    const pid = tempOwner(name);
    // Names ferry did not make are not ours to judge; a live owner is still writing.
    if (pid === undefined || isProcessAlive(pid)) continue;
    await rm(join(tempDir, name), { force: true, recursive: true });
    removed++;
  }
  return removed;
}
