import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive } from './process-alive.ts';

/**
 * ferry's one temp-file naming scheme: `<base>.ferry-tmp-<owner>-<uuid><suffix>`,
 * where the owner is `<host>_<boot>_<pid>_<start>`. A later run removes a
 * leftover only when its writer is certainly gone:
 * - same host, another boot: the machine restarted since;
 * - same host and boot: the pid is gone, or belongs to a process started at
 *   another time (a reused pid, as PID 1 of every container is);
 * - another host (a store shared over the network): its processes cannot be
 *   checked, so only a file untouched for {@link FOREIGN_TEMP_STALE_MS}.
 */
const MARK = '.ferry-tmp-';

/** A live writer keeps touching its temp file; one from another host untouched this long is abandoned. */
export const FOREIGN_TEMP_STALE_MS = 24 * 60 * 60_000;

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const OWNED = new RegExp(`\\.ferry-tmp-([a-z0-9-]{1,32})_([0-9a-f]{8}|x)_(\\d+)_(\\d+)-${UUID}`);
// Names of earlier versions (`<pid>-<uuid>` in a layout's temp dir, `.ferry-tmp-<pid>-`, `.tmp-<pid>-`): judged by pid alone, as then.
const LEGACY = new RegExp(`(?:^|\\.ferry-tmp-|\\.tmp-)(\\d+)-${UUID}`);

interface Owner {
  host: string;
  boot: string;
  pid: number;
  /** Start time in clock ticks since boot; 0 where the system does not say. */
  start: number;
}

/** A process's start time from /proc (Linux), or 0 when unknown; undefined when the process does not exist. */
function startTicks(pid: number | 'self'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && pid !== 'self' && !isProcessAlive(pid) ? undefined : 0;
  }
  // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : 0;
}

let me: Owner | undefined;

function self(): Owner {
  if (!me) {
    let boot = 'x';
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').replace(/[^0-9a-f]/g, '').slice(0, 8) || 'x';
    } catch {
      // Not Linux: reboots go unnoticed; pids still tell.
    }
    const host = hostname().toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 32) || 'host';
    me = { host, boot, pid: process.pid, start: startTicks('self') ?? 0 };
  }
  return me;
}

/** A fresh temp name owned by this process, `base` first (a target file's name, or '' inside a temp dir). */
export function tempName(base = '', suffix = ''): string {
  const o = self();
  return `${base}${MARK}${o.host}_${o.boot}_${o.pid}_${o.start}-${randomUUID()}${suffix}`;
}

/** Whether `name` is a temp name of this scheme (of any owner, any version). */
export function isTempName(name: string): boolean {
  return OWNED.test(name) || LEGACY.test(name);
}

/**
 * What is known of the writer of temp name `name`: `gone` (certainly: see
 * the scheme above), `alive` (or cannot be ruled out), `foreign` (it ran on
 * another host), or undefined when `name` is no temp name.
 */
export function tempOwnerState(name: string): 'gone' | 'alive' | 'foreign' | undefined {
  const here = self();
  const m = OWNED.exec(name);
  if (!m) {
    const legacy = LEGACY.exec(name);
    if (!legacy) return undefined;
    return isProcessAlive(Number(legacy[1])) ? 'alive' : 'gone';
  }
  const owner: Owner = { host: m[1]!, boot: m[2]!, pid: Number(m[3]), start: Number(m[4]) };
  if (owner.host !== here.host) return 'foreign';
  if (owner.boot !== 'x' && here.boot !== 'x' && owner.boot !== here.boot) return 'gone';
  if (owner.pid === here.pid) return owner.start === here.start ? 'alive' : 'gone';
  const start = startTicks(owner.pid);
  if (start === undefined) return 'gone';
  return start !== 0 && owner.start !== 0 && start !== owner.start ? 'gone' : 'alive';
}

/**
 * Whether temp file `name` was abandoned: its writer is gone, or it comes
 * from another host and was last touched (`mtimeMs`) longer ago than
 * {@link FOREIGN_TEMP_STALE_MS}. Names that are not temp names never are.
 */
export function isStaleTemp(name: string, mtimeMs?: number): boolean {
  const state = tempOwnerState(name);
  if (state === 'foreign') return mtimeMs !== undefined && Date.now() - mtimeMs > FOREIGN_TEMP_STALE_MS;
  return state === 'gone';
}

/**
 * Removes the temp files in `dir` (whose names start with `prefix`, when
 * given) that {@link isStaleTemp} judges abandoned. Files of live writers,
 * here or on another host, are left alone.
 * @returns how many were removed.
 */
export async function removeStaleTemps(dir: string, options: { prefix?: string | undefined } = {}): Promise<number> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let removed = 0;
  for (const name of names) {
    if ((options.prefix !== undefined && !name.startsWith(options.prefix)) || !isTempName(name)) continue;
    const path = join(dir, name);
    const state = tempOwnerState(name);
    const mtimeMs = state === 'foreign' ? (await stat(path).catch(() => undefined))?.mtimeMs : undefined;
    if (!isStaleTemp(name, mtimeMs)) continue;
    await rm(path, { force: true, recursive: true });
    removed++;
  }
  return removed;
}
