/**
 * Removing secrets from URLs, headers and free text before they reach an
 * error, a log line, an event or a report. Registries hand out pre-signed
 * blob URLs (S3, GCS, Azure, CloudFront) whose query string is a bearer
 * credential in its own right, so a URL is never shown as it was received.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/**
 * Query parameters (compared case-insensitively) whose values are credentials:
 * OAuth tokens, and the signatures / keys / session tokens of pre-signed
 * object-store URLs.
 */
const SENSITIVE_QUERY_PARAMS = new Set([
  'access_token',
  'refresh_token',
  'id_token',
  'token',
  'jwt',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'api_key',
  'apikey',
  'key',
  'sig',
  'signature',
  'policy',
  'key-pair-id',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'x-goog-signature',
  'x-goog-credential',
  'googleaccessid',
]);

/** Headers (compared case-insensitively) whose values are credentials. */
const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-registry-auth',
  'x-registry-config',
  'x-amz-security-token',
  'x-auth-token',
]);

/** True when a query parameter of this name carries a credential. */
export function isSensitiveQueryParam(name: string): boolean {
  return SENSITIVE_QUERY_PARAMS.has(name.toLowerCase());
}

/** True when a header of this name carries a credential. */
export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase());
}

/**
 * A URL fit for display: user name and password removed, the values of
 * sensitive query parameters replaced by `[redacted]`, the fragment dropped.
 * Other query parameters keep their original encoding. A string that does not
 * parse as a URL still loses anything that looks like `//user:pass@`.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : new URL(url.href);
  } catch {
    return String(url).replace(/\/\/[^/?#@\s]*@/g, '//').replace(/#.*$/, '');
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  const query = parsed.search.startsWith('?') ? parsed.search.slice(1) : parsed.search;
  if (query === '') return parsed.href;
  const pairs = query.split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    return isSensitiveQueryParam(decodeQueryName(rawName)) ? `${rawName}=${REDACTED}` : pair;
  });
  // Assigning `search` would re-encode the brackets, so the href is rebuilt by hand.
  parsed.search = '';
  return `${parsed.href}?${pairs.join('&')}`;
}

function decodeQueryName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Header shapes the library meets: plain records (undici), `Headers`, or name/value pairs. */
export type HeadersLike =
  | Record<string, string | string[] | number | undefined | null>
  | Headers
  | Iterable<readonly [string, string]>;

/**
 * A copy of `headers` as a plain record (names as given, `Headers` lower-cased)
 * with the values of credential-bearing headers replaced by `[redacted]`.
 */
export function redactHeaders(headers: HeadersLike): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const put = (name: string, value: string | string[]): void => {
    out[name] = isSensitiveHeader(name) ? REDACTED : value;
  };
  if (isIterable(headers)) {
    for (const [name, value] of headers) {
      const prior = out[name];
      if (prior === undefined) put(name, value);
      else if (prior !== REDACTED) out[name] = [...(Array.isArray(prior) ? prior : [prior]), value];
    }
    return out;
  }
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    put(name, Array.isArray(value) ? value.map(String) : String(value));
  }
  return out;
}

function isIterable(value: unknown): value is Iterable<readonly [string, string]> {
  return typeof value === 'object' && value !== null && Symbol.iterator in value;
}

/** Shortest secret worth replacing: shorter strings would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

/**
 * `text` with every occurrence of each secret (and of its base64 and URL
 * encodings, which is how passwords travel in headers and forms) replaced by
 * `[redacted]`. A last line of defence for text that came from elsewhere,
 * such as a helper's stderr or a server's error body.
 */
export function redactSecrets(text: string, secrets: Iterable<string | undefined>): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === undefined || secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([secret, Buffer.from(secret).toString('base64'), encodeURIComponent(secret)])) {
      out = out.split(form).join(REDACTED);
    }
  }
  return out;
}
