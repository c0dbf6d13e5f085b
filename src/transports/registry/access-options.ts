import { FerryError } from '../../errors.ts';
import { resolveCredentials } from './auth/auth-file.ts';
import type { AuthFileContent } from './auth/auth-file-format.ts';
import type { Credentials } from './auth/credentials.ts';
import type { CredentialProvider } from './auth-session.ts';
import type { AccessOptions } from '../../repository/access.ts';

/** Splits `USER[:PASS]` at the first colon, as skopeo does. */
export function parseCreds(creds: string, flag = '--creds'): { username: string; password: string } {
  const colon = creds.indexOf(':');
  const username = colon < 0 ? creds : creds.slice(0, colon);
  if (username === '') throw new FerryError('USAGE', `${flag}: the user name is empty`, { hint: `use ${flag} USER:PASSWORD` });
  if (colon < 0) throw new FerryError('USAGE', `${flag}: no password given for user "${username}"`, { hint: `use ${flag} USER:PASSWORD` });
  return { username, password: creds.slice(colon + 1) };
}

/** The credential source these options describe: flags first, then the user's auth files. */
export function credentialProvider(registry: string, access: AccessOptions): CredentialProvider {
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
  const fileCache = new Map<string, Promise<AuthFileContent | undefined>>();
  return (repository, signal) => {
    let found = cache.get(repository);
    if (!found) {
      found = resolveCredentials({ registry, repository, authFile: access.authFile, env: access.env, signal, fileCache });
      cache.set(repository, found);
    }
    return found;
  };
}
