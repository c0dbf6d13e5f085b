import type { Dispatcher } from 'undici';
import { parseChallenges } from './auth/challenge.ts';
import { basicAuthorization, type Credentials } from './auth/credentials.ts';
import { mergeScopes } from './auth/scope.ts';
import { fetchToken, TokenCache } from './auth/token.ts';

/** Access a request needs on a repository (`repository:ns/app:pull,push`). */
export interface Scope {
  /** `repository` (default), or `registry` for `registry:catalog:*`. */
  type?: 'repository' | 'registry' | undefined;
  repository: string;
  actions: Array<'pull' | 'push' | 'delete' | '*'>;
}

/** Finds credentials for a repository of this registry (flags, auth files, helpers); undefined for anonymous. */
export type CredentialProvider = (repository: string, signal?: AbortSignal) => Promise<Credentials | undefined>;

type KnownChallenge = { scheme: 'bearer'; realm: string; service: string | undefined } | { scheme: 'basic' } | { scheme: 'none' };

/** Scope strings for the token request: one per resource, actions merged. */
export function scopeStrings(scopes: readonly Scope[]): string[] {
  return mergeScopes(scopes.map((s) => ({ type: s.type ?? 'repository', name: s.repository, actions: s.actions })));
}

/**
 * Authentication state of one registry client: the challenge the registry
 * announced, credentials per repository and bearer tokens cached per scope set.
 * Requests ask {@link authorization} for a header; a 401 feeds {@link onChallenge}.
 */
export class AuthSession {
  private readonly registry: string;
  private readonly credentials: CredentialProvider | undefined;
  private readonly dispatcher: Dispatcher;
  private challenge: KnownChallenge | undefined;
  private readonly tokens = new TokenCache();

  constructor(options: { registry: string; credentials: CredentialProvider | undefined; dispatcher: Dispatcher }) {
    this.registry = options.registry;
    this.credentials = options.credentials;
    this.dispatcher = options.dispatcher;
  }

  private async credentialsFor(scopes: readonly Scope[], signal: AbortSignal | undefined): Promise<Credentials | undefined> {
    // The repository being written decides (a push scope comes first), as in containers/image.
    const primary = scopes.find((s) => s.actions.includes('push')) ?? scopes[0];
    return this.credentials?.(primary?.repository ?? '', signal);
  }

  /** The Authorization header value for a request with these scopes, if the registry wants one. */
  async authorization(scopes: readonly Scope[], signal: AbortSignal | undefined): Promise<string | undefined> {
    const credentials = await this.credentialsFor(scopes, signal);
    if (credentials?.kind === 'registry-token') return `Bearer ${credentials.registryToken}`;
    const challenge = this.challenge;
    if (challenge === undefined || challenge.scheme === 'none') return undefined;
    if (challenge.scheme === 'basic') {
      return credentials?.kind === 'basic' ? basicAuthorization(credentials.username, credentials.password) : undefined;
    }
    const token = await this.tokens.get(
      { realm: challenge.realm, service: challenge.service, scopes: scopeStrings(scopes), credentials },
      (key) => fetchToken({ ...key, dispatcher: this.dispatcher, signal }),
    );
    return `Bearer ${token}`;
  }

  /**
   * Learns from a 401's WWW-Authenticate. `sent` is the Authorization the
   * refused request carried. Returns true when a retry may now succeed: the
   * request went without credentials we can now supply (the first parallel
   * wave, before the scheme was known), or its bearer token was the cached
   * one and has just been dropped (expired or revoked). Only the refused token
   * is dropped, so a wave of parallel 401s shares the next token.
   */
  async onChallenge(header: string, scopes: readonly Scope[], sent: string | undefined, signal: AbortSignal | undefined): Promise<boolean> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    if (bearer?.params['realm'] !== undefined) {
      this.challenge = { scheme: 'bearer', realm: bearer.params['realm'], service: bearer.params['service'] };
      if (sent === undefined || !sent.startsWith('Bearer ')) return true;
      const credentials = await this.credentialsFor(scopes, signal);
      if (credentials?.kind === 'registry-token') return false;
      const key = { realm: this.challenge.realm, service: this.challenge.service, scopes: scopeStrings(scopes), credentials };
      const cached = this.tokens.peek(key);
      if (cached !== undefined && sent === `Bearer ${cached.token}`) {
        this.tokens.invalidate(key);
        return true;
      }
      // A newer token is already cached (another request renewed it), or the token server gave us one the registry refuses.
      return cached !== undefined;
    }
    if (basic !== undefined) {
      this.challenge = { scheme: 'basic' };
      if (sent !== undefined) return false;
      return (await this.credentialsFor(scopes, signal))?.kind === 'basic';
    }
    return false;
  }

  get registryName(): string {
    return this.registry;
  }
}
