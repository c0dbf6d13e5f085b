import type { Dispatcher } from 'undici';
import { sharedAgent } from '../http-agent.ts';
import { abortError, FerryError, type ErrorCode, type HttpErrorDetails } from '../../../errors.ts';
import { transportError } from '../http-errors.ts';
import { isRecord } from '../../../util/json.ts';
import {
  credentialSecret,
  credentialUsername,
  describeCredentials,
  IDENTITY_TOKEN_USERNAME,
  basicAuthorization,
  type Credentials,
} from './credentials.ts';
import { redactSecrets, redactUrl } from './redact.ts';

export { TokenCache, tokenCacheKey } from './token-cache.ts';

/** The token spec's default lifetime when a server leaves out `expires_in`. */
export const DEFAULT_TOKEN_LIFETIME_S = 60;

/** Token responses are a few KiB; a larger body is not a token server talking. */
const MAX_TOKEN_RESPONSE = 1024 * 1024;

/** Server text quoted in errors is cut here: enough for a reason, not a page of HTML. */
const MAX_QUOTED_TEXT = 200;

/** OAuth2 needs a client id; registries only log it. */
export const DEFAULT_CLIENT_ID = 'ferry';

/** What identifies a token: where it comes from, for which scopes, as whom. */
export interface TokenRequest {
  /** The `realm` of the registry's Bearer challenge: the token endpoint. */
  realm: string;
  service?: string | undefined;
  /** Scopes as sent (`repository:ns/app:pull,push`); see mergeScopes. */
  scopes: readonly string[];
  /** Anonymous when undefined. */
  credentials?: Credentials | undefined;
}

export interface FetchTokenOptions extends TokenRequest {
  /** The registry client's dispatcher (TLS settings, proxies, connection pool); a process-wide agent otherwise (see sharedAgent). */
  dispatcher?: Dispatcher | undefined;
  signal?: AbortSignal | undefined;
  clientId?: string | undefined;
  userAgent?: string | undefined;
  /** Flag named in TLS hints. */
  tlsFlag?: string | undefined;
  /** Clock, for tests. */
  now?: () => number;
}

/** A bearer token and when to stop using it. */
export interface Token {
  token: string;
  /** Local clock (ms since epoch) at which the token expires: request time plus `expires_in`, so server clock skew does not matter. */
  expiresAt: number;
  /** Local clock when the token was requested. */
  obtainedAt: number;
  /** The server's `issued_at`, when it sent a valid one. */
  issuedAt?: number | undefined;
  /** A new refresh token, when the OAuth2 endpoint rotated it. */
  refreshToken?: string | undefined;
}

/**
 * Gets a bearer token from a registry's token endpoint (distribution token
 * protocol). Basic credentials and anonymous access use GET
 * `realm?service=…&scope=…&scope=…` (Basic auth, `account` = user name);
 * an identity token is traded by POSTing an OAuth2 `refresh_token` grant,
 * falling back to the GET form (Basic with the token as password) when the
 * endpoint answers 404 or 405. Registry tokens need no endpoint and are
 * returned as they are.
 *
 * @throws FerryError UNAUTHORIZED (credentials rejected or needed), DENIED,
 * TOO_MANY_REQUESTS, REGISTRY, NETWORK / TLS, ABORTED. Errors carry the URL
 * without credentials and never the secret.
 */
export async function fetchToken(options: FetchTokenOptions): Promise<Token> {
  const now = options.now ?? Date.now;
  const started = now();
  const { credentials } = options;
  if (credentials?.kind === 'registry-token') {
    return { token: credentials.registryToken, expiresAt: Number.POSITIVE_INFINITY, obtainedAt: started };
  }
  const realm = parseRealm(options.realm);
  if (credentials?.kind === 'identity-token') {
    const answer = await exchange(oauthRequest(realm, options, credentials.identityToken), options);
    if (answer.status !== 404 && answer.status !== 405) return tokenFrom(answer, options, started);
    const username = credentials.username ?? IDENTITY_TOKEN_USERNAME;
    const fallback = await exchange(getRequest(realm, options, username, credentials.identityToken), options);
    return tokenFrom(fallback, options, started);
  }
  const basic = credentials?.kind === 'basic' ? credentials : undefined;
  const answer = await exchange(getRequest(realm, options, basic?.username, basic?.password), options);
  return tokenFrom(answer, options, started);
}

function parseRealm(realm: string): URL {
  let url: URL;
  try {
    url = new URL(realm);
  } catch {
    throw new FerryError('REGISTRY', `the registry's token realm "${redactUrl(realm)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new FerryError('REGISTRY', `the registry's token realm ${redactUrl(url)} is not an http(s) URL`);
  }
  // Credentials in the realm would go to the token server unasked: the realm is the registry's word, not the user's.
  url.username = '';
  url.password = '';
  url.hash = '';
  return url;
}

interface HttpExchange {
  method: 'GET' | 'POST';
  url: URL;
  headers: Record<string, string>;
  body?: string | undefined;
}

function getRequest(realm: URL, options: FetchTokenOptions, username?: string, password?: string): HttpExchange {
  const url = new URL(realm.href);
  if (options.service !== undefined && options.service !== '') url.searchParams.append('service', options.service);
  for (const scope of options.scopes) url.searchParams.append('scope', scope);
  if (username !== undefined && username !== IDENTITY_TOKEN_USERNAME) url.searchParams.append('account', username);
  const headers = baseHeaders(options);
  if (username !== undefined && password !== undefined) headers.authorization = basicAuthorization(username, password);
  return { method: 'GET', url, headers };
}

function oauthRequest(realm: URL, options: FetchTokenOptions, refreshToken: string): HttpExchange {
  const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: options.clientId ?? DEFAULT_CLIENT_ID });
  if (options.service !== undefined && options.service !== '') form.set('service', options.service);
  if (options.scopes.length > 0) form.set('scope', options.scopes.join(' '));
  const headers = { ...baseHeaders(options), 'content-type': 'application/x-www-form-urlencoded' };
  return { method: 'POST', url: new URL(realm.href), headers, body: form.toString() };
}

function baseHeaders(options: FetchTokenOptions): Record<string, string> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.userAgent !== undefined) headers['user-agent'] = options.userAgent;
  return headers;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  http: HttpErrorDetails;
}

async function exchange(req: HttpExchange, options: FetchTokenOptions): Promise<Answer> {
  const http: HttpErrorDetails = { method: req.method, url: redactUrl(req.url) };
  const { signal } = options;
  if (signal?.aborted) throw abortError(signal);
  try {
    const response = await (options.dispatcher ?? sharedAgent()).request({
      origin: req.url.origin,
      path: `${req.url.pathname}${req.url.search}`,
      method: req.method,
      headers: req.headers,
      ...(req.body === undefined ? {} : { body: req.body }),
      ...(signal === undefined ? {} : { signal }),
    });
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_TOKEN_RESPONSE) {
        response.body.destroy();
        throw new FerryError('REGISTRY', `token endpoint ${http.url} sent more than ${MAX_TOKEN_RESPONSE} bytes`, { http });
      }
      chunks.push(chunk);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    return { status: response.statusCode, headers: response.headers, text, http: { ...http, status: response.statusCode } };
  } catch (error) {
    if (signal?.aborted) throw abortError(signal);
    throw transportError(error, http, options.tlsFlag ?? '--tls-verify');
  }
}

function tokenFrom(answer: Answer, options: FetchTokenOptions, started: number): Token {
  if (answer.status < 200 || answer.status >= 300) throw statusError(answer, options);
  let body: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(answer.text);
    if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
    body = parsed as Record<string, unknown>;
  } catch {
    throw new FerryError('REGISTRY', `token endpoint ${answer.http.url} answered with something that is not a JSON object`, { http: answer.http });
  }
  const token = nonEmptyString(body.token) ?? nonEmptyString(body.access_token);
  if (token === undefined) {
    throw new FerryError('REGISTRY', `token endpoint ${answer.http.url} answered without a token`, { http: answer.http });
  }
  const expiresIn = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : DEFAULT_TOKEN_LIFETIME_S;
  const issued = typeof body.issued_at === 'string' ? Date.parse(body.issued_at) : Number.NaN;
  return {
    token,
    expiresAt: started + expiresIn * 1000,
    obtainedAt: started,
    issuedAt: Number.isFinite(issued) ? issued : undefined,
    refreshToken: nonEmptyString(body.refresh_token),
  };
}

function statusError(answer: Answer, options: FetchTokenOptions): FerryError {
  const { status, http } = answer;
  const creds = options.credentials;
  const secrets = creds === undefined ? [] : [credentialSecret(creds)];
  const said = serverReason(answer.text, secrets);
  const where = `token endpoint ${http.url}`;
  const because = said === undefined ? `HTTP ${status}` : `HTTP ${status}: ${said}`;
  let code: ErrorCode = 'REGISTRY';
  let message = `${where} failed (${because})`;
  let hint: string | undefined;
  let retryable = false;
  let retryAfterMs: number | undefined;
  if (status === 401) {
    code = 'UNAUTHORIZED';
    message = creds === undefined ? `${where} requires credentials (${because})` : `${where} rejected ${describeCredentials(creds)} (${because})`;
    hint =
      creds === undefined
        ? 'log in with `ferry login`, or pass --creds / --authfile'
        : `check the ${credentialUsername(creds) === undefined ? 'token' : 'user name and password'}; \`ferry login\` stores new ones`;
  } else if (status === 403) {
    code = 'DENIED';
    message = `${where} refused a token for ${options.scopes.join(' ') || 'the request'} to ${describeCredentials(creds)} (${because})`;
    hint = 'the account lacks permission for this repository';
  } else if (status === 429) {
    code = 'TOO_MANY_REQUESTS';
    retryable = true;
    retryAfterMs = retryAfter(answer.headers['retry-after']);
  } else if (status >= 500) {
    retryable = true;
  }
  return new FerryError(code, message, { hint, retryable, http: { ...http, status, retryAfterMs } });
}

/** The reason a token server gave (OCI `errors`, OAuth2 `error_description`, Docker Hub `details`), secrets removed. */
function serverReason(text: string, secrets: string[]): string | undefined {
  let reason: string | undefined;
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      const errors = body['errors'];
      const first: unknown = Array.isArray(errors) ? errors[0] : undefined;
      reason =
        nonEmptyString(isRecord(first) ? first['message'] : undefined) ?? nonEmptyString(body['error_description']) ?? nonEmptyString(body['details']) ?? nonEmptyString(body['error']);
    }
  } catch {
    // Not JSON (an HTML error page): the status has to do.
  }
  if (reason === undefined) return undefined;
  const line = redactSecrets(reason.replace(/\s+/g, ' ').trim(), secrets);
  return line.length > MAX_QUOTED_TEXT ? `${line.slice(0, MAX_QUOTED_TEXT)}…` : line;
}

function retryAfter(value: string | string[] | undefined): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
