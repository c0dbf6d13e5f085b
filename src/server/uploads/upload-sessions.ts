import { randomUUID, type Hash } from 'node:crypto';
import { createDigester, digestAlgorithm, type Digest } from '../../oci/digest.ts';
import type { BlobWriteResult } from '../backend/blob-backend.ts';
import type { UploadBackend, UploadBuffer } from '../backend/upload-backend.ts';
import { RegistryError } from '../registry-error.ts';
import type { UploadLimits } from './upload-limits.ts';

/** How often idle sessions are looked for when no new upload starts. */
const SWEEP_INTERVAL_MS = 60_000;

/** One blob upload in progress: bytes so far in a backend buffer, hashed as they arrive. */
export interface UploadSession {
  readonly id: string;
  readonly name: string;
  /** Who opened it (user, else remote address): the unit of the per-client limit. */
  readonly client: string;
  readonly buffer: UploadBuffer;
  hasher: Hash;
  offset: number;
  busy: boolean;
  /** Finished or cancelled: a request that looked it up just before must not touch it. */
  ended: boolean;
  touched: number;
}

/** What Content-Range / Content-Length say a chunk must be. */
export interface ChunkExpectation {
  start?: number | undefined;
  length?: number | undefined;
}

function gone(s: UploadSession): RegistryError {
  return new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${s.id} has ended`);
}

function busy(s: UploadSession): RegistryError {
  return new RegistryError(416, 'BLOB_UPLOAD_INVALID', `upload ${s.id} is receiving another chunk`);
}

function increment(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

/**
 * The upload sessions of one server. Chunks must arrive in order (the hash is
 * computed on the way); a chunk that fails half way is rolled back (bytes
 * truncated, hash state restored), so the client can retry it. Sessions are
 * capped per client, per repository and in total (see {@link UploadLimits}),
 * and end after a period without use.
 */
export class UploadSessions {
  readonly #backend: UploadBackend;
  readonly #limits: UploadLimits;
  /** Least recently touched first: touching a session moves it to the end. */
  readonly #sessions = new Map<string, UploadSession>();
  readonly #perClient = new Map<string, number>();
  readonly #perRepository = new Map<string, number>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(backend: UploadBackend, limits: UploadLimits) {
    this.#backend = backend;
    this.#limits = limits;
    this.#sweeper = setInterval(() => this.#expireIdle(), Math.min(SWEEP_INTERVAL_MS, Math.max(limits.idleMs, 1_000)));
    this.#sweeper.unref();
  }

  /** Opens a session for `client` in repository `name`, making room by evicting long-idle sessions; 429 when a cap stays full. */
  async start(name: string, client: string): Promise<UploadSession> {
    this.#expireIdle();
    this.#makeRoom('the server', this.#sessions.size, this.#limits.total, () => true);
    this.#makeRoom('this client', this.#perClient.get(client) ?? 0, this.#limits.perClient, (s) => s.client === client);
    this.#makeRoom(`repository ${name}`, this.#perRepository.get(name) ?? 0, this.#limits.perRepository, (s) => s.name === name);
    const buffer = await this.#backend.create(name);
    const session: UploadSession = { id: randomUUID(), name, client, buffer, hasher: createDigester('sha256'), offset: 0, busy: false, ended: false, touched: Date.now() };
    this.#sessions.set(session.id, session);
    increment(this.#perClient, client, 1);
    increment(this.#perRepository, name, 1);
    return session;
  }

  /** The session `id` of repository `name`; BLOB_UPLOAD_UNKNOWN otherwise (also once it has been idle too long). */
  async get(name: string, id: string | undefined): Promise<UploadSession> {
    const s = id === undefined ? undefined : this.#sessions.get(id);
    if (!s || s.name !== name) throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id ?? ''} not found in ${name}`);
    if (!s.busy && Date.now() - s.touched > this.#limits.idleMs) {
      await this.#end(s);
      throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${s.id} expired after ${Math.round(this.#limits.idleMs / 1000)} s without use`);
    }
    this.#touch(s);
    return s;
  }

  /**
   * Appends a request body at the session's offset. `expected` (from
   * Content-Range / Content-Length) is checked: a chunk that does not start at
   * the offset is 416, one whose length differs is 400.
   */
  async append(session: UploadSession, body: AsyncIterable<Buffer>, expected: ChunkExpectation): Promise<void> {
    if (session.ended) throw gone(session);
    if (session.busy) throw busy(session);
    if (expected.start !== undefined && expected.start !== session.offset) {
      throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `chunk starts at ${expected.start}, expected ${session.offset}`, {
        headers: { Range: rangeHeader(session.offset) },
      });
    }
    session.busy = true;
    this.#touch(session);
    const saved = session.hasher.copy();
    const start = session.offset;
    // Hashes and counts each chunk; the offset moves once the backend asks for the next one, i.e. has written this one.
    async function* checked(): AsyncGenerator<Uint8Array> {
      for await (const chunk of body) {
        if (session.ended) throw gone(session);
        if (expected.length !== undefined && session.offset - start + chunk.byteLength > expected.length) {
          throw new RegistryError(400, 'SIZE_INVALID', `chunk is longer than its declared ${expected.length} bytes`);
        }
        session.hasher.update(chunk);
        yield chunk;
        session.offset += chunk.byteLength;
      }
    }
    try {
      await session.buffer.append(start, checked());
      if (expected.length !== undefined && session.offset - start !== expected.length) {
        throw new RegistryError(400, 'SIZE_INVALID', `chunk has ${session.offset - start} bytes, declared ${expected.length}`);
      }
    } catch (error) {
      session.hasher = saved;
      session.offset = start;
      await session.buffer.truncate(start).catch(() => undefined);
      throw error;
    } finally {
      session.busy = false;
      if (session.ended) await session.buffer.discard();
      else this.#touch(session);
    }
  }

  /** Verifies the whole upload against `digest` and makes it a visible blob; the session ends either way. */
  async finish(session: UploadSession, digest: Digest): Promise<BlobWriteResult> {
    if (session.ended) throw gone(session);
    if (session.busy) throw busy(session);
    void this.#end(session, false);
    try {
      const algorithm = digestAlgorithm(digest);
      // The running hash is sha256; another algorithm needs one more pass over the bytes.
      const actual = algorithm === 'sha256' ? `sha256:${session.hasher.digest('hex')}` : await hashAll(session.buffer.read(), algorithm);
      if (actual !== digest) {
        throw new RegistryError(400, 'DIGEST_INVALID', `upload hashes to ${actual}, not ${digest}`);
      }
      return await session.buffer.commit(digest);
    } finally {
      await session.buffer.discard();
    }
  }

  /** Ends the upload; a chunk still arriving stops at its next piece and the bytes go with it. */
  async cancel(session: UploadSession): Promise<void> {
    if (session.ended) throw gone(session);
    await this.#end(session);
  }

  /** Abandons every session and drops its bytes (server shutdown). */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    await Promise.all([...this.#sessions.values()].map((s) => this.#end(s)));
  }

  #touch(s: UploadSession): void {
    s.touched = Date.now();
    this.#sessions.delete(s.id);
    this.#sessions.set(s.id, s);
  }

  /** Removes a session from the books; its bytes go now, or when the chunk it is receiving stops. */
  async #end(s: UploadSession, discard = true): Promise<void> {
    if (s.ended) return;
    s.ended = true;
    this.#sessions.delete(s.id);
    increment(this.#perClient, s.client, -1);
    increment(this.#perRepository, s.name, -1);
    if (discard && !s.busy) await s.buffer.discard().catch(() => undefined);
  }

  #expireIdle(): void {
    const cutoff = Date.now() - this.#limits.idleMs;
    for (const s of this.#sessions.values()) {
      if (s.touched >= cutoff) break; // the rest were touched later
      if (!s.busy) void this.#end(s);
    }
  }

  /** With `count` at `cap`, evicts the least recently used long-idle session of the scope, or answers 429. */
  #makeRoom(scope: string, count: number, cap: number, inScope: (s: UploadSession) => boolean): void {
    if (count < cap) return;
    const cutoff = Date.now() - this.#limits.evictAfterMs;
    for (const s of this.#sessions.values()) {
      if (s.touched > cutoff) break;
      if (!s.busy && inScope(s)) {
        void this.#end(s);
        return;
      }
    }
    throw new RegistryError(429, 'TOOMANYREQUESTS', `too many uploads in progress for ${scope} (${cap}); finish or cancel some first`, { headers: { 'Retry-After': '10' } });
  }
}

/** `Range` header value for an upload holding `offset` bytes (distribution answers 0-0 for none). */
export function rangeHeader(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

async function hashAll(data: AsyncIterable<Uint8Array>, algorithm: string): Promise<string> {
  const hasher = createDigester(algorithm);
  for await (const chunk of data) hasher.update(chunk);
  return `${algorithm}:${hasher.digest('hex')}`;
}
