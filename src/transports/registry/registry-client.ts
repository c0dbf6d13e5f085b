import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { FerryError, abortError } from '../../errors.ts';
import { registryEndpoint } from '../../ref/reference.ts';
import { AuthSession, type CredentialProvider, type Scope } from './auth-session.ts';
import { redactUrl } from './auth/redact.ts';
import { isTlsProtocolError, responseError, transportError } from './http-errors.ts';
import { DEFAULT_RETRY_POLICY, rateLimitExhausted, serverDelayMs, withRetry, type RetryEvent, type RetryPolicy } from '../../util/retry.ts';
import { Agent } from './http-agent.ts';
import { TokenBucket } from './throttle.ts';
import { httpChannel, type HttpDebugMessage } from '../../util/debug-channels.ts';
import { resolveTlsOptions, type TlsSettings } from './tls-options.ts';

/** Connections kept per registry origin: enough for parallel blobs without tripping registry limits. */
export const DEFAULT_MAX_CONNECTIONS = 32;
/** Redirects followed before giving up (blob storage usually needs one). */
const MAX_REDIRECTS = 5;
/** Error bodies are read up to this size; the rest is discarded. */
const MAX_ERROR_BODY = 64 * 1024;

export interface RegistryClientOptions {
  /** Normalised registry name as in references (`docker.io`, `localhost:5000`, `[::1]:5000`). */
  registry: string;
  tls?: TlsSettings | undefined;
  /** The flag a user would change, for hints (`--src-tls-verify`). */
  tlsFlag?: string | undefined;
  credentials?: CredentialProvider | undefined;
  retry?: RetryPolicy | undefined;
  maxConnections?: number | undefined;
  userAgent?: string | undefined;
  onRetry?: ((event: RetryEvent) => void) | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Cap on requests started per second. */
  requestsPerSecond?: number | undefined;
  /** Cap on blob bytes per second, both directions together; 0 or undefined: none. */
  bandwidth?: number | undefined;
}

export interface RegistryRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path under the registry origin (`/v2/…`) or an absolute URL from a `Location` header. */
  path: string;
  headers?: Record<string, string> | undefined;
  /** A Buffer is replayed on retry; a stream body disables retries inside the client (callers restart the whole transfer). */
  body?: Uint8Array | Readable | undefined;
  scopes: Scope[];
  signal?: AbortSignal | undefined;
  /** Statuses returned to the caller instead of thrown (2xx always are). */
  accept?: readonly number[] | undefined;
  /** What the request is about, for error messages (`docker://host/ns/app:1.0`). */
  subject: string;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Dispatcher.ResponseData['body'];
  /** The final URL after redirects (for resolving relative `Location` headers). */
  url: string;
}

export function headerValue(headers: RegistryResponse['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * An HTTP client for one registry: connection reuse through an undici Agent,
 * TLS per certs.d, plain-HTTP fallback when verification is off, the auth
 * challenge flow, redirects that never carry credentials to another origin,
 * and retries with backoff for replayable requests.
 */
export class RegistryClient {
  readonly registry: string;
  private readonly options: RegistryClientOptions;
  private readonly agent: Agent;
  private readonly auth: AuthSession;
  private origin: string | undefined;
  private originProbe: Promise<string> | undefined;
  private readonly requestBucket: TokenBucket | undefined;
  /** Whether TLS connections present a client certificate (for error messages). */
  private readonly clientCertificate: boolean;
  /**
   * A TLS failure no retry can fix (an untrusted certificate, a refused
   * client certificate): once seen, every request fails with it at once.
   */
  private fatalTls: FerryError | undefined;
  /** Paces blob bodies when a bandwidth cap is set; repositories wrap their streams with it. */
  readonly bandwidth: TokenBucket | undefined;

  private constructor(options: RegistryClientOptions, agent: Agent, clientCertificate: boolean) {
    this.registry = options.registry;
    this.clientCertificate = clientCertificate;
    this.options = options;
    this.agent = agent;
    this.auth = new AuthSession({ registry: options.registry, credentials: options.credentials, dispatcher: agent });
    this.requestBucket = options.requestsPerSecond ? new TokenBucket(options.requestsPerSecond) : undefined;
    this.bandwidth = options.bandwidth ? new TokenBucket(options.bandwidth) : undefined;
  }

  static async create(options: RegistryClientOptions): Promise<RegistryClient> {
    const endpoint = registryEndpoint(options.registry);
    const tlsFlag = options.tlsFlag ?? '--tls-verify';
    const { clientCertificate, ...tls } = await resolveTlsOptions(endpoint, options.tls ?? {}, options.env, tlsFlag.replace('tls-verify', 'cert-dir'));
    const agent = new Agent({
      connections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      connect: { ...tls, timeout: 30_000 },
      keepAliveTimeout: 30_000,
      headersTimeout: 120_000,
      bodyTimeout: 300_000,
    });
    return new RegistryClient(options, agent, clientCertificate);
  }

  get retryPolicy(): RetryPolicy {
    return this.options.retry ?? DEFAULT_RETRY_POLICY;
  }

  /** https://host, or http://host when TLS verification is off and the registry speaks plain HTTP. */
  private async resolveOrigin(signal: AbortSignal | undefined): Promise<string> {
    if (this.origin !== undefined) return this.origin;
    const endpoint = registryEndpoint(this.registry);
    if (this.options.tls?.verify !== false) return (this.origin = `https://${endpoint}`);
    this.originProbe ??= (async () => {
      try {
        const res = await this.agent.request({ origin: `https://${endpoint}`, path: '/v2/', method: 'GET', signal: signal ?? null });
        await res.body.dump();
        return `https://${endpoint}`;
      } catch (err) {
        if (isTlsProtocolError(err) || (err as { code?: string }).code === 'ECONNRESET') return `http://${endpoint}`;
        throw transportError(err, { method: 'GET', url: `https://${endpoint}/v2/` }, this.options.tlsFlag ?? '--tls-verify', { clientCertificate: this.clientCertificate });
      }
    })();
    try {
      this.origin = await this.originProbe;
    } finally {
      this.originProbe = undefined;
    }
    return this.origin;
  }

  /**
   * Sends a request with authentication, redirects and (for replayable bodies)
   * retries. Non-accepted statuses become FerryErrors after the body is read.
   */
  async request(req: RegistryRequest): Promise<RegistryResponse> {
    const replayable = req.body === undefined || req.body instanceof Uint8Array;
    if (!replayable) return this.attempt(req);
    return withRetry(() => this.attempt(req), { policy: this.retryPolicy, signal: req.signal, onRetry: this.options.onRetry });
  }

  private async attempt(req: RegistryRequest): Promise<RegistryResponse> {
    if (this.fatalTls) throw this.fatalTls;
    const origin = await this.resolveOrigin(req.signal);
    let url = new URL(req.path, origin);
    let method = req.method;
    let body = req.body;
    let authRetried = false;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const sameOrigin = url.origin === origin;
      const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'ferry', ...req.headers };
      if (sameOrigin) {
        const authorization = await this.auth.authorization(req.scopes, req.signal);
        if (authorization !== undefined) headers['authorization'] = authorization;
      }
      const res = await this.send(url, method, headers, body, req.signal);
      if (res.status === 401 && sameOrigin && !authRetried) {
        const challenge = headerValue(res.headers, 'www-authenticate');
        await res.body.dump();
        const canRetry = body === undefined || body instanceof Uint8Array;
        if (challenge !== undefined && canRetry && (await this.auth.onChallenge(challenge, req.scopes, headers['authorization'], req.signal))) {
          authRetried = true;
          hop--;
          continue;
        }
        const refused = responseError(401, '', { method, url: redactUrl(url.href) }, req.subject);
        throw new FerryError('UNAUTHORIZED', `${req.subject}: ${headers['authorization'] === undefined ? `${this.registry} requires authentication` : `${this.registry} rejected the credentials`} (${method} ${redactUrl(url.href)} → 401)`, {
          http: refused.http,
          hint: headers['authorization'] === undefined ? 'give credentials (--creds, --authfile, `ferry login`)' : 'check the user name and password or token (--creds, --authfile, `ferry login`)',
        });
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304 && headerValue(res.headers, 'location') !== undefined) {
        await res.body.dump();
        url = new URL(headerValue(res.headers, 'location')!, url);
        if (res.status === 303) {
          method = 'GET';
          body = undefined;
        }
        continue;
      }
      if ((res.status >= 200 && res.status < 300) || req.accept?.includes(res.status)) return res;
      const text = await readBounded(res.body, MAX_ERROR_BODY);
      const error = responseError(res.status, text, { method, url: redactUrl(url.href) }, req.subject);
      const delay = serverDelayMs(res.headers);
      if (delay !== undefined && error.http) error.http.retryAfterMs = delay;
      throw error;
    }
    throw new FerryError('REGISTRY', `${req.subject}: more than ${MAX_REDIRECTS} redirects (${req.method} ${redactUrl(req.path)})`);
  }

  private async send(url: URL, method: string, headers: Record<string, string>, body: RegistryRequest['body'], signal: AbortSignal | undefined): Promise<RegistryResponse> {
    await this.requestBucket?.take(1, signal);
    const started = performance.now();
    try {
      const res = await this.agent.request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: method as Dispatcher.HttpMethod,
        headers,
        body: (body ?? null) as NonNullable<Dispatcher.DispatchOptions['body']> | null,
        signal: signal ?? null,
        // undici closes the connection after every HEAD unless told otherwise (for servers that send a
        // body anyway). Registries answer HEAD properly, and plans are mostly HEADs: keep connections alive.
        reset: false,
      });
      if (httpChannel.hasSubscribers) {
        const limited = rateLimitExhausted(res.statusCode, res.headers) ? { rateLimited: true, waitMs: serverDelayMs(res.headers) } : {};
        httpChannel.publish({ method, url: redactUrl(url.href), status: res.statusCode, durationMs: Math.round(performance.now() - started), ...limited } satisfies HttpDebugMessage);
      }
      return { status: res.statusCode, headers: res.headers, body: res.body, url: url.href };
    } catch (err) {
      if (signal?.aborted) throw abortError(signal);
      const redacted = redactUrl(url.href);
      let mapped = transportError(err, { method, url: redacted }, this.options.tlsFlag ?? '--tls-verify', { clientCertificate: this.clientCertificate });
      if (mapped.code === 'TLS') this.fatalTls ??= mapped;
      else if ((err as { code?: unknown }).code === 'ERR_HTTP2_INVALID_SESSION') {
        // Requests sharing an HTTP/2 session that a TLS alert ended learn only that the session is gone;
        // the request that met the alert reports it in the same turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        if (this.fatalTls) mapped = this.fatalTls;
      }
      if (httpChannel.hasSubscribers) {
        httpChannel.publish({ method, url: redacted, error: mapped.message, durationMs: Math.round(performance.now() - started) } satisfies HttpDebugMessage);
      }
      throw mapped;
    }
  }

  #closing: Promise<void> | undefined;

  /** Closes the connections; closing again is harmless. */
  close(): Promise<void> {
    this.#closing ??= this.agent.close();
    return this.#closing;
  }
}

/** Reads at most `limit` bytes of a body as text and discards the rest. */
export async function readBounded(body: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size < limit) chunks.push(buf.subarray(0, limit - size));
    size += buf.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
