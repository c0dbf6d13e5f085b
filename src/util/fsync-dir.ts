import { open } from 'node:fs/promises';

/**
 * Flushes a directory's entries (a rename into it) to disk, so a file made
 * visible by rename survives a crash. Some file systems refuse fsync on
 * directories; the rename is atomic all the same, so that is not an error.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Not supported here: nothing more to do.
  } finally {
    await fh.close();
  }
}
