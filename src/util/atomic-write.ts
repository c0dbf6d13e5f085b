import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FerryError, throwIfAborted } from '../errors.ts';
import { fsyncDir } from './fsync-dir.ts';
import { tempName } from './temp-name.ts';

export interface AtomicWriteOptions {
  /** Flush the file and its directory entry to disk (default true; throwaway stores may skip it). */
  fsync?: boolean | undefined;
  /** Mode of the new file (default 0o644, less the umask). */
  mode?: number | undefined;
  /** Where the temp file goes (default beside `path`; it must be on the same file system). */
  tempDir?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Replaces `path` with `data` atomically and durably: a temp file (see
 * temp-name.ts) written and fsync'ed, renamed over `path`, then the directory
 * fsync'ed. Readers see the old content or the new, never a part; on failure
 * `path` is untouched and the temp file removed.
 *
 * @throws FerryError `IO` naming `path`.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  throwIfAborted(options.signal);
  const fsync = options.fsync ?? true;
  const mode = options.mode ?? 0o644;
  const tmp = join(options.tempDir ?? dirname(path), tempName(`.${basename(path)}`));
  try {
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data);
      // open() applies the umask; an explicit mode is meant as given (private files stay private under odd umasks).
      if (options.mode !== undefined) await fh.chmod(mode);
      if (fsync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    if (fsync) await fsyncDir(dirname(path));
  } catch (error) {
    // The temp may not exist (or not be reachable): the write's own failure is the one to report.
    await rm(tmp, { force: true }).catch(() => undefined);
    if (error instanceof FerryError) throw error;
    throw writeError(path, error);
  }
}

function writeError(path: string, error: unknown): FerryError {
  const code = (error as NodeJS.ErrnoException).code;
  const hint = code === 'EACCES' || code === 'EPERM' ? `the directory of ${path} is not writable for this user` : code === 'ENOENT' ? `the directory of ${path} does not exist` : undefined;
  return new FerryError('IO', `cannot write ${path}: ${code ?? (error as Error).message}`, { cause: error, hint });
}

/**
 * {@link writeFileAtomic} for last words: a temp file, fsynced, then renamed,
 * synchronously, for a process about to exit (a run ended by force still
 * leaves a whole report, never half of one; the directory is not fsynced).
 * Everywhere else use the asynchronous one.
 *
 * @throws FerryError `IO` naming `path`.
 */
export function writeFileAtomicSync(path: string, data: string): void {
  const tmp = join(dirname(path), tempName(`.${basename(path)}`));
  try {
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (error) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // As above: the write's failure is the one to report.
    }
    throw writeError(path, error);
  }
}
