import type { Readable } from 'node:stream';
import { Client } from 'undici';
import type { ZodType } from 'zod';
import { FerryError, abortError } from '../../errors.ts';
import type { EngineEndpoint } from './engine-endpoint.ts';

/** Error bodies and metadata answers are small; a larger one is not an answer we should hold in memory. */
const MAX_JSON_BYTES = 8 * 1024 * 1024;

/** Who answers at an endpoint, for messages and hints. */
export interface EngineProduct {
  /** `the Docker daemon`, `the Podman service`. */
  name: string;
  /** What to do when nothing listens at the endpoint. */
  startHint: string;
  /** What to do when the socket refuses this user. */
  permissionHint: string;
}

export interface EngineRequest {
  method: 'GET' | 'POST';
  /** Path and query, already encoded, e.g. `/images/json?all=1`. */
  path: string;
  body?: Readable | undefined;
  contentType?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * HTTP to a container engine's API (Docker Engine API, Podman's libpod API)
 * over a unix socket or TCP (with TLS). Connection failures become
 * FerryErrors that say where and what to do: no socket, nothing listening,
 * permission denied on the socket.
 */
export class EngineClient {
  readonly endpoint: EngineEndpoint;
  readonly product: EngineProduct;
  /** The engine in messages, e.g. `the Docker daemon at unix:///var/run/docker.sock`. */
  readonly where: string;
  readonly #client: Client;

  constructor(endpoint: EngineEndpoint, product: EngineProduct, where = `${product.name} at ${endpoint.display}`) {
    this.endpoint = endpoint;
    this.product = product;
    this.where = where;
    if (endpoint.kind === 'unix') {
      this.#client = new Client('http://localhost', { socketPath: endpoint.socketPath });
    } else {
      const tls = endpoint.tls;
      this.#client = new Client(endpoint.origin, tls ? { connect: { ...(tls.ca ? { ca: tls.ca } : {}), ...(tls.cert ? { cert: tls.cert } : {}), ...(tls.key ? { key: tls.key } : {}) } } : {});
    }
  }

  /** Sends one request; any HTTP status is returned, connection failures throw. */
  async request(req: EngineRequest): Promise<{ status: number; body: Readable }> {
    try {
      const res = await this.#client.request({
        method: req.method,
        path: req.path,
        ...(req.body ? { body: req.body } : {}),
        headers: req.contentType ? { 'content-type': req.contentType } : {},
        ...(req.signal ? { signal: req.signal } : {}),
        // Exports and loads of large images stream for minutes; only a silent connection is a failure.
        bodyTimeout: 0,
        headersTimeout: 0,
      });
      return { status: res.statusCode, body: res.body };
    } catch (error) {
      throw this.connectionError(error, req.signal);
    }
  }

  /** A GET whose 2xx answer is JSON of `schema`'s shape; NOT_FOUND for 404, a DAEMON error otherwise. */
  async json<T>(path: string, schema: ZodType<T>, what: string, signal?: AbortSignal): Promise<T> {
    const res = await this.request({ method: 'GET', path, signal });
    if (res.status < 200 || res.status > 299) throw await this.statusError(res, what);
    return this.answer(schema, res.body, what);
  }

  /** Reads a small JSON answer and checks its shape: what an engine says is untrusted input. */
  async answer<T>(schema: ZodType<T>, body: Readable, what: string): Promise<T> {
    const parsed = schema.safeParse(parseJson(await readSmall(body), `${this.product.name}'s answer to ${what}`));
    if (!parsed.success) {
      throw new FerryError('DAEMON', `${this.product.name}'s answer to ${what} has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return parsed.data;
  }

  /** The error for a non-2xx answer, with the engine's own message. */
  async statusError(res: { status: number; body: Readable }, what: string): Promise<FerryError> {
    const text = await readSmall(res.body).then((b) => b.toString('utf8'), () => '');
    const message = engineMessage(text) ?? `HTTP ${res.status}`;
    const code = res.status === 404 ? 'NOT_FOUND' : res.status === 401 || res.status === 403 ? 'DENIED' : 'DAEMON';
    return new FerryError(code, `${what}: ${this.where} answered ${res.status}: ${message}`, {
      retryable: res.status >= 500 && res.status !== 501,
    });
  }

  /** Maps a failure to connect or to talk into a FerryError naming the endpoint. */
  connectionError(error: unknown, signal?: AbortSignal): FerryError {
    if (error instanceof FerryError) return error;
    if (signal?.aborted) return abortError(signal);
    const code = (error as NodeJS.ErrnoException).code ?? '';
    const where = this.endpoint.display;
    const name = this.product.name;
    const socket = this.endpoint.kind === 'unix' ? this.endpoint.socketPath : where;
    if (code === 'ENOENT') return new FerryError('NETWORK', `${name} is not running: there is no socket at ${socket}`, { hint: this.product.startHint, cause: error });
    if (code === 'ECONNREFUSED') return new FerryError('NETWORK', `${name} is not listening at ${where} (connection refused)`, { hint: this.product.startHint, cause: error });
    if (code === 'EACCES' || code === 'EPERM') return new FerryError('DENIED', `permission denied on ${name}'s socket ${socket}`, { hint: this.product.permissionHint, cause: error });
    const message = error instanceof Error ? error.message : String(error);
    return new FerryError('NETWORK', `cannot talk to ${name} at ${where}: ${message}`, { hint: this.product.startHint, cause: error, retryable: true });
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => undefined);
  }
}

/** Reads a small body whole, refusing one over {@link MAX_JSON_BYTES}. */
export async function readSmall(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_JSON_BYTES) {
      body.destroy();
      throw new FerryError('DAEMON', `an answer of the container engine is over ${MAX_JSON_BYTES} bytes; expected a small JSON document`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new FerryError('DAEMON', `${what} is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** The `message` (Docker) or `message`/`cause` (Podman) of an error body; undefined when there is none. */
function engineMessage(text: string): string | undefined {
  try {
    const json: unknown = JSON.parse(text);
    if (typeof json === 'object' && json !== null) {
      const message = (json as Record<string, unknown>)['message'];
      if (typeof message === 'string' && message !== '') return message;
    }
  } catch {
    // Not JSON: the text itself, if short, says more than nothing.
  }
  const trimmed = text.trim();
  return trimmed !== '' && trimmed.length <= 500 ? trimmed : undefined;
}
