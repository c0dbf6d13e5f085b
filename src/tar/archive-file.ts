import { link, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FerryError } from '../errors.ts';
import { fsyncDir } from '../util/fsync-dir.ts';
import { removeStaleTemps, tempName } from '../util/temp-name.ts';

/** A sibling temp path for writing archive `path` (see temp-name.ts): same directory, so the final rename is atomic. */
export function archiveTempPath(path: string): string {
  return join(dirname(path), tempName(basename(path)));
}

/**
 * Removes temp archives of `path` whose writers are gone (killed mid-copy);
 * those of live processes are being written and stay.
 */
export async function removeStaleArchiveTemps(path: string): Promise<void> {
  await removeStaleTemps(dirname(path), { prefix: basename(path) }).catch(() => 0);
}

/** Size of the file at `path`, undefined when it does not exist; throws when it is not a regular file. */
export async function existingFileSize(path: string, where: string): Promise<number | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new FerryError('INVALID_CONFIG', `${where}: ${path} exists and is not a regular file`);
    return st.size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if (error instanceof FerryError) throw error;
    throw new FerryError('IO', `${where}: cannot access ${path}: ${(error as Error).message}`, { cause: error });
  }
}


/**
 * Moves a finished archive from its temp path to `path`. With `replace` an
 * existing file is replaced atomically; without it the move fails with
 * CONFLICT when `path` appeared meanwhile (hard link + unlink never clobbers),
 * unless what is there is an empty file, which is replaced.
 */
export async function publishArchive(tempPath: string, path: string, options: { replace: boolean; where: string }): Promise<void> {
  try {
    if (options.replace || (await existingFileSize(path, options.where)) === 0) {
      await rename(tempPath, path);
    } else {
      await link(tempPath, path);
      await rm(tempPath, { force: true });
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new FerryError('CONFLICT', `${options.where}: ${path} was created by someone else while the archive was written`, {
        hint: 'remove it, or write to another path',
        cause: error,
      });
    }
    if (error instanceof FerryError) throw error;
    throw new FerryError('IO', `${options.where}: cannot move the archive into place at ${path}: ${(error as Error).message}`, { cause: error });
  }
  await fsyncDir(dirname(path));
}
