import { access, constants, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FerryError, throwIfAborted } from '../../../errors.ts';
import { encodeBasicAuth, readAuthFile, type AuthFileContent } from './auth-file-format.ts';
import { authKeyHost, normalizeAuthKey } from './auth-key.ts';
import { authFileCandidates, primaryAuthFiles, type AuthFileLocationOptions } from './auth-paths.ts';
import { writeFileAtomic } from '../../../util/atomic-write.ts';
import { withFileLock } from '../../../util/file-lock.ts';

/** Auth files hold passwords: only the owner may read them. */
const FILE_MODE = 0o600;
/** The directory too, so names of registries the user logs in to stay private. */
const DIR_MODE = 0o700;

export interface LoginOptions extends AuthFileLocationOptions {
  /** `host[:port]`, or `host/namespace` for credentials limited to a namespace. */
  registry: string;
  username: string;
  password: string;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Stores a user name and password for `registry` in the first writable
 * primary auth file ({@link primaryAuthFiles}), replacing any entry for the
 * same key (Docker URL forms included) and keeping everything else in the
 * file. The file is replaced atomically with mode 0600, under a lock file
 * beside it (`FILE.lock`) so concurrent logins keep each other's entries.
 * Does not check the credentials against the registry: the caller does that
 * first.
 *
 * @returns the path of the file written.
 */
export async function login(options: LoginOptions): Promise<string> {
  const key = normalizeAuthKey(options.registry);
  if (key === '') throw new FerryError('USAGE', 'login needs a registry');
  if (options.username.includes(':')) {
    throw new FerryError('USAGE', `user name "${options.username}" contains ":", which an auth file cannot store`);
  }
  const path = await firstWritable(primaryAuthFiles(options.env ?? process.env, options), options.signal);
  await withAuthFileLock(path, options.signal, async () => {
    const file = await readAuthFile(path, { signal: options.signal });
    const auths = withoutKey(file?.auths ?? {}, key).rest;
    auths[key] = { auth: encodeBasicAuth(options.username, options.password) };
    await writeAuthFile(path, { ...(file?.document ?? {}), auths }, options.signal);
  });
  return path;
}

export interface LogoutOptions extends AuthFileLocationOptions {
  /** The registry (or `host/namespace`) to forget; not needed with `all`. */
  registry?: string | undefined;
  /** Remove every entry of `auths` in the file. */
  all?: boolean | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

export interface LogoutResult {
  /** The files changed, each with the raw keys removed from it. */
  files: { path: string; removed: string[] }[];
}

/**
 * Removes the entry for `registry` (every key that means the same registry
 * and path) from the primary auth files ({@link primaryAuthFiles}) that have
 * one, or with `all` every entry of their `auths`. Other keys of the files
 * are kept; Docker's files are left alone.
 *
 * @throws FerryError NOT_FOUND when no primary file has an entry for
 * `registry`; the hint names other auth files that do.
 */
export async function logout(options: LogoutOptions): Promise<LogoutResult> {
  const env = options.env ?? process.env;
  const all = options.all === true;
  const key = options.registry === undefined ? '' : normalizeAuthKey(options.registry);
  if (!all && key === '') throw new FerryError('USAGE', 'logout needs a registry, or --all');
  const candidates = primaryAuthFiles(env, options);
  const files: LogoutResult['files'] = [];
  for (const path of candidates) {
    // Read once without the lock: a file with nothing to remove is not touched (nor is a lock made beside it).
    const seen = await readAuthFile(path, { signal: options.signal });
    if (seen === undefined || (!all && withoutKey(seen.auths, key).removed.length === 0)) continue;
    const removed = await withAuthFileLock(path, options.signal, async () => {
      const file = await readAuthFile(path, { signal: options.signal });
      if (file === undefined) return [];
      const split = all ? { rest: {}, removed: Object.keys(file.auths) } : withoutKey(file.auths, key);
      if (split.removed.length > 0) await writeAuthFile(path, { ...file.document, auths: split.rest }, options.signal);
      return split.removed;
    });
    if (removed.length > 0) files.push({ path, removed });
  }
  if (files.length === 0 && !all) {
    throw new FerryError('NOT_FOUND', `not logged in to ${key}: no entry for it in ${candidates.join(' or ')}`, {
      hint: await elsewhereHint(key, candidates, env, options),
    });
  }
  return { files };
}

/** Splits `auths` into the entries for `key` (in any spelling) and the rest. */
function withoutKey(auths: AuthFileContent['auths'], key: string): { rest: AuthFileContent['auths']; removed: string[] } {
  const rest: AuthFileContent['auths'] = {};
  const removed: string[] = [];
  for (const [raw, entry] of Object.entries(auths)) {
    if (normalizeAuthKey(raw) === key) removed.push(raw);
    else rest[raw] = entry;
  }
  return { rest, removed };
}

/** Tells the user where credentials for `key` come from when it is not the file logout changes. */
async function elsewhereHint(key: string, primary: string[], env: NodeJS.ProcessEnv, options: LogoutOptions): Promise<string | undefined> {
  const host = authKeyHost(key);
  for (const path of authFileCandidates(env, options)) {
    if (primary.includes(path)) continue;
    const file = await readAuthFile(path, { signal: options.signal }).catch(() => undefined);
    if (file === undefined) continue;
    const helper = Object.entries(file.credHelpers).find(([k]) => normalizeAuthKey(k) === host)?.[1];
    if (helper !== undefined) return `credentials for ${host} come from docker-credential-${helper} (configured in ${path}); ferry does not change that file`;
    if (Object.keys(file.auths).some((raw) => normalizeAuthKey(raw) === key)) {
      return `${path} has credentials for ${key}; ferry does not change that file (docker logout does)`;
    }
  }
  return undefined;
}

/**
 * The first file whose directory exists or can be created and is writable.
 * A runtime directory may be missing or read-only (containers, CI), which
 * is why the next candidate is tried.
 */
async function firstWritable(candidates: string[], signal: AbortSignal | undefined): Promise<string> {
  let lastError: NodeJS.ErrnoException | undefined;
  for (const path of candidates) {
    throwIfAborted(signal);
    try {
      await mkdir(dirname(path), { recursive: true, mode: DIR_MODE });
      await access(dirname(path), constants.W_OK);
      return path;
    } catch (error) {
      lastError = error as NodeJS.ErrnoException;
    }
  }
  throw new FerryError('IO', `no writable auth file: tried ${candidates.join(', ')} (${lastError?.code ?? 'unknown error'})`, {
    hint: 'pass --authfile with a path in a writable directory',
  });
}

/**
 * Runs a read-modify-write of the auth file at `path` holding `path.lock`:
 * concurrent logins (and logouts) each keep the others' entries.
 */
function withAuthFileLock<T>(path: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  return withFileLock(`${path}.lock`, fn, { signal });
}

/** Replaces `path` with `document` atomically, as a private file (see util/atomic-write.ts). */
async function writeAuthFile(path: string, document: Record<string, unknown>, signal: AbortSignal | undefined): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(document, null, '\t')}\n`, { mode: FILE_MODE, signal });
}
