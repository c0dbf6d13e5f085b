import { link, open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import { isProcessAlive } from './process-alive.ts';
import { readSmallFile } from './regular-file.ts';
import { tempName, tempOwnerState } from './temp-name.ts';

/** How long a writer waits for another process's lock before giving up: the updates it guards (an index, an auth file) take milliseconds, so a minute means something is stuck. */
export const LOCK_TIMEOUT_MS = 60_000;
/** A lock written on another host cannot be checked by pid; after this long it is presumed abandoned. */
const FOREIGN_LOCK_STALE_MS = 10 * 60_000;
/** A lock file still empty after this long was left by a process that died between create and write. */
const EMPTY_LOCK_STALE_MS = 10_000;
/** A lock file holds one short line. */
const MAX_LOCK_FILE_BYTES = 4096;
const FIRST_DELAY_MS = 2;
const MAX_DELAY_MS = 100;

// In-process queue per lock path: a file lock cannot tell two holders in the same process apart.
const queues = new Map<string, Promise<unknown>>();

export interface LockOptions {
  signal?: AbortSignal | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Runs `fn` holding an exclusive lock on `lockPath` (by convention the guarded
 * file's path plus `.lock`, in the same directory), across the processes of
 * this machine (a file created with O_EXCL holding `pid host token`) and
 * across the callers in this process (a promise chain per path). A lock whose
 * pid is dead is broken; waiting is bounded by {@link LOCK_TIMEOUT_MS}.
 */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const previous = queues.get(lockPath) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  queues.set(lockPath, tail);
  try {
    await previous;
    const token = await acquire(lockPath, options);
    try {
      return await fn();
    } finally {
      await releaseLock(lockPath, token);
    }
  } finally {
    release();
    if (queues.get(lockPath) === tail) queues.delete(lockPath);
  }
}

async function acquire(lockPath: string, options: LockOptions): Promise<string> {
  const token = tempName();
  const content = `${process.pid} ${hostname()} ${token}`;
  const deadline = Date.now() + (options.timeoutMs ?? LOCK_TIMEOUT_MS);
  let delay = FIRST_DELAY_MS;
  for (;;) {
    throwIfAborted(options.signal);
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FerryError('IO', `cannot create lock file ${lockPath}: ${(error as Error).message}`, { cause: error });
      }
    }
    const holder = await readHolder(lockPath);
    if (holder !== undefined && isStale(holder)) {
      await breakStale(lockPath, holder.content);
      continue;
    }
    if (Date.now() > deadline) {
      throw new FerryError('CONFLICT', `timed out waiting for lock ${lockPath}${holder ? ` held by pid ${holder.pid}` : ''}`, {
        hint: `another ferry process is updating ${lockPath.replace(/\.lock$/, '')}; if none is running, delete the lock file`,
        retryable: true,
      });
    }
    try {
      await sleep(delay + Math.random() * delay, undefined, { signal: options.signal });
    } catch {
      throw abortError(options.signal);
    }
    delay = Math.min(delay * 2, MAX_DELAY_MS);
  }
}

interface Holder {
  content: string;
  pid: number;
  host: string;
  ageMs: number;
}

async function readHolder(lockPath: string): Promise<Holder | undefined> {
  try {
    const [content, st] = await Promise.all([readLockFile(lockPath), stat(lockPath)]);
    const [pid, host] = content.split(' ');
    return { content, pid: Number(pid), host: host ?? '', ageMs: Date.now() - st.mtimeMs };
  } catch {
    // Released between our create attempt and this read: just try again.
    return undefined;
  }
}

function isStale(h: Holder): boolean {
  if (h.content === '') return h.ageMs > EMPTY_LOCK_STALE_MS;
  // The token is a temp name: it says host, boot, pid and start time, so a reused pid (PID 1 in containers) is not mistaken for the holder.
  const state = tempOwnerState(h.content.split(' ')[2] ?? '');
  if (state === 'foreign' || (state === undefined && h.host !== hostname())) return h.ageMs > FOREIGN_LOCK_STALE_MS;
  if (state !== undefined) return state === 'gone';
  return !isProcessAlive(h.pid);
}

/**
 * Breaks a dead holder's lock without ever deleting a live one: the lock is
 * moved aside first and only deleted when it is still the dead holder's; a
 * live lock taken in between is put back with link(), which cannot overwrite.
 */
async function breakStale(lockPath: string, staleContent: string): Promise<void> {
  const aside = join(dirname(lockPath), tempName(basename(lockPath), '.stale'));
  try {
    await rename(lockPath, aside);
  } catch {
    return; // someone else broke or released it
  }
  try {
    const moved = await readLockFile(aside).catch(() => staleContent);
    if (moved !== staleContent) await link(aside, lockPath).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

/** A lock file's `pid host token` line; never blocks on, nor reads much of, something else planted at its name. */
async function readLockFile(path: string): Promise<string> {
  return (await readSmallFile(path, { what: 'lock file', maxBytes: MAX_LOCK_FILE_BYTES })).toString('utf8');
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  const content = await readLockFile(lockPath).catch(() => '');
  // Only delete our own lock: if it was (wrongly) broken, the file belongs to someone else now.
  if (content.endsWith(` ${token}`)) await unlink(lockPath).catch(() => undefined);
}
