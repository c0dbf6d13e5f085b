import { credentialIdentity } from './credentials.ts';
import { mergeScopes } from './scope.ts';
import type { Token, TokenRequest } from './token.ts';

/** Renew at most this long before expiry: enough for a request in flight to arrive with a valid token. */
const MAX_RENEW_MARGIN_MS = 30_000;
/** …and for short-lived tokens, this share of their lifetime (12 s of the default 60 s). */
const RENEW_MARGIN_SHARE = 0.2;
/** A sync over thousands of repositories must not grow the cache without bound. */
const DEFAULT_MAX_ENTRIES = 512;

/**
 * The cache key of a token request: realm, service, canonical scopes (merged
 * and sorted, so `pull,push` and `push,pull` meet) and a hash of the
 * credentials, so keys never hold a secret.
 */
export function tokenCacheKey(request: TokenRequest): string {
  return JSON.stringify([request.realm, request.service ?? '', mergeScopes(request.scopes), credentialIdentity(request.credentials)]);
}

export interface TokenCacheOptions {
  /** Clock, for tests. */
  now?: () => number;
  maxEntries?: number;
}

type KeyOf = TokenRequest | string;

/**
 * Bearer tokens per {@link tokenCacheKey}. A token is handed out until
 * shortly before it expires (the lesser of 30 s and a fifth of its
 * lifetime), then fetched again; concurrent requests for the same key share
 * one fetch. A 401 from the registry should {@link invalidate} the key.
 */
export class TokenCache {
  readonly #tokens = new Map<string, Token>();
  readonly #inFlight = new Map<string, Promise<Token>>();
  readonly #now: () => number;
  readonly #maxEntries: number;

  constructor(options: TokenCacheOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
  }

  /**
   * The bearer token string for `request`: a cached one that is still fresh,
   * or the result of `fetch` (shared with concurrent callers of the same key).
   * A failed fetch is not cached.
   */
  async get(request: TokenRequest, fetch: (request: TokenRequest) => Promise<Token>): Promise<string> {
    return (await this.getToken(request, fetch)).token;
  }

  /** Like {@link get}, with the whole {@link Token}. */
  async getToken(request: TokenRequest, fetch: (request: TokenRequest) => Promise<Token>): Promise<Token> {
    const key = tokenCacheKey(request);
    const cached = this.#fresh(key);
    if (cached !== undefined) return cached;
    let pending = this.#inFlight.get(key);
    if (pending === undefined) {
      pending = fetch(request).then(
        (token) => {
          if (this.#inFlight.get(key) === pending) {
            this.#inFlight.delete(key);
            this.#store(key, token);
          }
          return token;
        },
        (error: unknown) => {
          if (this.#inFlight.get(key) === pending) this.#inFlight.delete(key);
          throw error;
        },
      );
      this.#inFlight.set(key, pending);
    }
    return pending;
  }

  /** The cached token when it is not due for renewal. */
  peek(request: KeyOf): Token | undefined {
    return this.#fresh(keyOf(request));
  }

  /** Whether a token that is not due for renewal is cached. */
  has(request: KeyOf): boolean {
    return this.peek(request) !== undefined;
  }

  set(request: KeyOf, token: Token): void {
    this.#store(keyOf(request), token);
  }

  /**
   * Forgets the token (and detaches any fetch in flight) for a key, e.g.
   * after the registry answered 401 to it. True when there was something.
   */
  invalidate(request: KeyOf): boolean {
    const key = keyOf(request);
    const had = this.#tokens.delete(key);
    return this.#inFlight.delete(key) || had;
  }

  clear(): void {
    this.#tokens.clear();
    this.#inFlight.clear();
  }

  get size(): number {
    return this.#tokens.size;
  }

  #fresh(key: string): Token | undefined {
    const token = this.#tokens.get(key);
    if (token === undefined) return undefined;
    if (this.#now() < token.expiresAt - renewMargin(token)) return token;
    this.#tokens.delete(key);
    return undefined;
  }

  #store(key: string, token: Token): void {
    this.#tokens.delete(key); // re-insert at the end: Map order is the eviction order
    this.#tokens.set(key, token);
    if (this.#tokens.size <= this.#maxEntries) return;
    const now = this.#now();
    for (const [k, t] of this.#tokens) {
      if (now >= t.expiresAt - renewMargin(t)) this.#tokens.delete(k);
    }
    for (const k of this.#tokens.keys()) {
      if (this.#tokens.size <= this.#maxEntries) break;
      this.#tokens.delete(k);
    }
  }
}

/** How long before expiry a token stops being handed out. */
export function renewMargin(token: Token): number {
  const lifetime = token.expiresAt - token.obtainedAt;
  return Math.min(MAX_RENEW_MARGIN_MS, Math.max(0, lifetime) * RENEW_MARGIN_SHARE);
}

function keyOf(request: KeyOf): string {
  return typeof request === 'string' ? request : tokenCacheKey(request);
}
