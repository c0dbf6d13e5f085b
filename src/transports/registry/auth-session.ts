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
   * Learns from a 401's WWW-Authenticate. Returns true when a retry may now
   * succeed (new scheme, or a token for these scopes was dropped), false when
   * the same request would fail the same way.
   */
  async onChallenge(header: string, scopes: readonly Scope[], signal: AbortSignal | undefined): Promise<boolean> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme.toLowerCase() === 'bearer');
    const basic = challenges.find((c) => c.scheme.toLowerCase() === 'basic');
    const previous = this.challenge;
    if (bearer?.params['realm'] !== undefined) {
      this.challenge = { scheme: 'bearer', realm: bearer.params['realm'], service: bearer.params['service'] };
      const credentials = await this.credentialsFor(scopes, signal);
      const key = { realm: this.challenge.realm, service: this.challenge.service, scopes: scopeStrings(scopes), credentials };
      const hadToken = this.tokens.has(key);
      this.tokens.invalidate(key);
      // Retry when we had no bearer flow before, or had a (possibly expired) token for these scopes.
      return previous?.scheme !== 'bearer' || hadToken;
    }
    if (basic !== undefined) {
      this.challenge = { scheme: 'basic' };
      if (previous?.scheme === 'basic') return false;
      return (await this.credentialsFor(scopes, signal))?.kind === 'basic';
    }
    return false;
  }

  get registryName(): string {
    return this.registry;
  }
}
