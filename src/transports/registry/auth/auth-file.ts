import { basename } from 'node:path';
import { throwIfAborted } from '../../../errors.ts';
import { decodeAuthEntry, readAuthFile, type AuthFileContent } from './auth-file-format.ts';
import { authKeyHost, authLookupKeys, helperServerUrl, normalizeAuthKey } from './auth-key.ts';
import { credentialHelperGet } from './credential-helper.ts';
import type { Credentials } from './credentials.ts';
import { authFileCandidates, LEGACY_DOCKERCFG, type AuthFileLocationOptions } from './auth-paths.ts';

export { authFileCandidates, primaryAuthFiles, type AuthFileLocationOptions } from './auth-paths.ts';
export { login, logout, type LoginOptions, type LogoutOptions, type LogoutResult } from './login.ts';

export interface ResolveCredentialsOptions extends AuthFileLocationOptions {
  /** Registry host with port as in the image reference (`docker.io`, `localhost:5000`). */
  registry: string;
  /** Repository path (`ns/app`); narrows the lookup to namespace-scoped entries. */
  repository?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
  /** Timeout for each credential helper run. */
  helperTimeoutMs?: number | undefined;
  /**
   * Auth files already read, by path, shared by lookups that should see the
   * same files (one registry client's repositories): each file is then read
   * once, not once per repository.
   */
  fileCache?: Map<string, Promise<AuthFileContent | undefined>> | undefined;
}

/**
 * The credentials the user's auth files hold for an image's repository, or
 * undefined for anonymous access. Files are read in
 * {@link authFileCandidates} order and the first with a match wins. Within a
 * file: `credHelpers[host]`, then `auths` from the most specific key
 * (`host/ns/app`, `host/ns`, `host`), then `credsStore`. Keys may be Docker
 * URLs (`https://index.docker.io/v1/`); Docker Hub's host names are one.
 *
 * @throws FerryError INVALID_CONFIG for a malformed file, IO when one cannot
 * be read, CREDENTIAL_HELPER when a helper fails (not when it has nothing).
 */
export async function resolveCredentials(options: ResolveCredentialsOptions): Promise<Credentials | undefined> {
  const env = options.env ?? process.env;
  for (const path of authFileCandidates(env, options)) {
    throwIfAborted(options.signal);
    const file = await readCached(path, options);
    if (file === undefined) continue;
    const found = await credentialsInFile(file, options, env);
    if (found !== undefined) return found;
  }
  return undefined;
}

function readCached(path: string, options: ResolveCredentialsOptions): Promise<AuthFileContent | undefined> {
  const read = (): Promise<AuthFileContent | undefined> => readAuthFile(path, { legacy: basename(path) === LEGACY_DOCKERCFG, signal: options.signal });
  const cache = options.fileCache;
  if (cache === undefined) return read();
  let file = cache.get(path);
  if (!file) {
    file = read();
    cache.set(path, file);
    // A failed read (cancelled, unreadable) is not remembered: the next lookup tries again and reports its own error.
    file.catch(() => cache.delete(path));
  }
  return file;
}

async function credentialsInFile(
  file: AuthFileContent,
  options: ResolveCredentialsOptions,
  env: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const host = authKeyHost(options.registry);
  const helperOptions = { env, signal: options.signal, timeoutMs: options.helperTimeoutMs, configuredIn: file.path };

  const helperKey = Object.keys(file.credHelpers).find((key) => normalizeAuthKey(key) === host);
  if (helperKey !== undefined) {
    const found = await credentialHelperGet(file.credHelpers[helperKey]!, helperServerUrl(host), helperOptions);
    if (found !== undefined) return found;
  }

  for (const key of authLookupKeys(options.registry, options.repository)) {
    for (const rawKey of matchingKeys(file, key)) {
      const found = decodeAuthEntry(file.auths[rawKey]!, rawKey, file.path);
      if (found !== undefined) return found;
    }
  }

  if (file.credsStore !== undefined) return credentialHelperGet(file.credsStore, helperServerUrl(host), helperOptions);
  return undefined;
}

/** Raw `auths` keys that normalize to `key`, a key written exactly so first (it is what a login of ours wrote last). */
function matchingKeys(file: AuthFileContent, key: string): string[] {
  const keys = Object.keys(file.auths).filter((raw) => normalizeAuthKey(raw) === key);
  return keys.sort((a, b) => Number(b === key) - Number(a === key));
}
