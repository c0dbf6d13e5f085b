import { createHash } from 'node:crypto';

/**
 * What ferry may present to a registry, as found in an auth file, returned by
 * a credential helper or given on the command line. The `kind` decides the
 * flow: `basic` is sent as HTTP Basic (to the registry or its token server),
 * `identity-token` is an OAuth2 refresh token traded at the token server, and
 * `registry-token` is a bearer token sent to the registry as it is.
 */
export type Credentials = BasicCredentials | IdentityTokenCredentials | RegistryTokenCredentials;

interface CredentialsBase {
  /** Where the credentials came from (an auth file path, `docker-credential-NAME`, `--creds`), for messages. Never a secret. */
  readonly source?: string | undefined;
}

export interface BasicCredentials extends CredentialsBase {
  readonly kind: 'basic';
  readonly username: string;
  readonly password: string;
}

export interface IdentityTokenCredentials extends CredentialsBase {
  readonly kind: 'identity-token';
  readonly identityToken: string;
  /** The account the token belongs to when the file or helper says so. */
  readonly username?: string | undefined;
}

export interface RegistryTokenCredentials extends CredentialsBase {
  readonly kind: 'registry-token';
  readonly registryToken: string;
}

/** Credential helpers answer with this user name when the secret is an identity token. */
export const IDENTITY_TOKEN_USERNAME = '<token>';

/** The secret string of any kind of credentials (for redaction). */
export function credentialSecret(credentials: Credentials): string {
  switch (credentials.kind) {
    case 'basic':
      return credentials.password;
    case 'identity-token':
      return credentials.identityToken;
    case 'registry-token':
      return credentials.registryToken;
  }
}

/** The user name when there is one (basic, or an identity token whose account is known). */
export function credentialUsername(credentials: Credentials | undefined): string | undefined {
  if (credentials === undefined || credentials.kind === 'registry-token') return undefined;
  return credentials.username === IDENTITY_TOKEN_USERNAME ? undefined : credentials.username;
}

/**
 * A short stable identifier of credentials for cache keys: a hash, so keys can
 * be logged and compared without holding the secret. `anonymous` without.
 */
export function credentialIdentity(credentials: Credentials | undefined): string {
  if (credentials === undefined) return 'anonymous';
  const hash = createHash('sha256');
  hash.update(credentials.kind).update('\0');
  hash.update(credentials.kind === 'registry-token' ? '' : (credentials.username ?? '')).update('\0');
  hash.update(credentialSecret(credentials));
  return `${credentials.kind}:${hash.digest('hex').slice(0, 32)}`;
}

/** Words for messages: `user "alice"`, `an identity token`, `a registry token`, `no credentials`. */
export function describeCredentials(credentials: Credentials | undefined): string {
  if (credentials === undefined) return 'no credentials';
  const from = credentials.source === undefined ? '' : ` from ${credentials.source}`;
  switch (credentials.kind) {
    case 'basic':
      return `user "${credentials.username}"${from}`;
    case 'identity-token':
      return `an identity token${from}`;
    case 'registry-token':
      return `a registry token${from}`;
  }
}

/** The value of an `Authorization: Basic …` header for a user name and password. */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
