import { FerryError } from '../../errors.ts';
import { resolveCredentials } from './auth/auth-file.ts';
import type { Credentials } from './auth/credentials.ts';
import type { CredentialProvider } from './auth-session.ts';
import type { RetryPolicy } from '../../util/retry.ts';

/**
 * How to reach a registry, in skopeo's flag terms (`--src-creds`,
 * `--src-registry-token`, `--src-no-creds`, `--authfile`, `--src-tls-verify`,
 * `--src-cert-dir`, `--retry-times`).
 */
export interface RegistryAccessOptions {
  /** `USER[:PASS]`; a missing password is an error here (the CLI prompts before). */
  creds?: string | undefined;
  /** Explicit username/password (library callers, sync configs). */
  username?: string | undefined;
  password?: string | undefined;
  /** A bearer token sent as is. */
  registryToken?: string | undefined;
  /** An OAuth2 refresh token traded for access tokens at the registry's token server. */
  identityToken?: string | undefined;
  /** Access anonymously even when auth files have credentials. */
  noCreds?: boolean | undefined;
  authFile?: string | undefined;
  tlsVerify?: boolean | undefined;
  certDir?: string | undefined;
  retry?: RetryPolicy | undefined;
  /** Connections (and so concurrent requests) per registry. */
  maxConnections?: number | undefined;
  /** Cap on requests started per second to this registry. */
  requestsPerSecond?: number | undefined;
  /** Cap on blob bytes per second to or from this registry; 0 or undefined: none. */
  bandwidth?: number | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** Splits `USER[:PASS]` at the first colon, as skopeo does. */
export function parseCreds(creds: string, flag = '--creds'): { username: string; password: string } {
  const colon = creds.indexOf(':');
  const username = colon < 0 ? creds : creds.slice(0, colon);
  if (username === '') throw new FerryError('USAGE', `${flag}: the user name is empty`, { hint: `use ${flag} USER:PASSWORD` });
  if (colon < 0) throw new FerryError('USAGE', `${flag}: no password given for user "${username}"`, { hint: `use ${flag} USER:PASSWORD` });
  return { username, password: creds.slice(colon + 1) };
}

/** The credential source these options describe: flags first, then the user's auth files. */
export function credentialProvider(registry: string, access: RegistryAccessOptions): CredentialProvider {
  if (access.noCreds) return async () => undefined;
  if (access.registryToken !== undefined) {
    const fixed: Credentials = { kind: 'registry-token', registryToken: access.registryToken, source: 'registry token flag' };
    return async () => fixed;
  }
  if (access.identityToken !== undefined) {
    const fixed: Credentials = { kind: 'identity-token', identityToken: access.identityToken, username: access.username, source: 'configuration' };
    return async () => fixed;
  }
  if (access.creds !== undefined || access.username !== undefined) {
    const { username, password } = access.creds !== undefined ? parseCreds(access.creds) : { username: access.username!, password: access.password ?? '' };
    const fixed: Credentials = { kind: 'basic', username, password, source: 'command line' };
    return async () => fixed;
  }
  const cache = new Map<string, Promise<Credentials | undefined>>();
  return (repository, signal) => {
    let found = cache.get(repository);
    if (!found) {
      found = resolveCredentials({ registry, repository, authFile: access.authFile, env: access.env, signal });
      cache.set(repository, found);
    }
    return found;
  };
}
