import { randomUUID } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isProcessAlive } from '../../util/process-alive.ts';

/**
 * Temporary files ferry writes beside their final names (bundle parts,
 * bundle.json, the store's bundle record): `<prefix>.ferry-tmp-<pid>-<uuid>`.
 * The pid tells a later run which leftovers belong to a dead process.
 */
const TEMP_RE = /\.ferry-tmp-(\d+)-[0-9a-f-]+$/;

export function tempFileName(prefix: string): string {
  return `${prefix}.ferry-tmp-${process.pid}-${randomUUID()}`;
}


/** Whether `name` is a temp file of this scheme whose process is gone. */
export function isDeadTemp(name: string): boolean {
  const m = TEMP_RE.exec(name);
  return m !== null && !isProcessAlive(Number(m[1]));
}

/** Whether `name` is a temp file of this scheme (any owner). */
export function isTempFile(name: string): boolean {
  return TEMP_RE.test(name);
}

/** Writes `text` to `path` durably and atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), tempFileName(`.${basename(path)}`));
  try {
    const fh = await open(tmp, 'wx');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    const dir = await open(dirname(path), 'r');
    try {
      await dir.sync();
    } catch {
      // Some file systems refuse fsync on directories; the rename is still atomic.
    } finally {
      await dir.close();
    }
  } finally {
    await rm(tmp, { force: true });
  }
}
