import { randomUUID, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { createDigester, digestAlgorithm, type Digest } from '../oci/digest.ts';
import type { LayoutStore, WriteBlobResult } from '../transports/layout/layout-store.ts';
import { RegistryError } from './registry-error.ts';

/** Uploads untouched this long are abandoned (the spec asks servers to time them out). */
export const UPLOAD_IDLE_MS = 60 * 60_000;
/** Open upload sessions at once; more is a runaway client, answered with 429. */
export const MAX_UPLOAD_SESSIONS = 10_000;
const SWEEP_INTERVAL_MS = 60_000;

/** One blob upload in progress: bytes so far in a temp file of the store, hashed as they arrive. */
export interface UploadSession {
  readonly id: string;
  readonly name: string;
  readonly path: string;
  hasher: Hash;
  offset: number;
  busy: boolean;
  /** Finished or cancelled: a request that looked it up just before must not touch it. */
  ended: boolean;
  touched: number;
}

function gone(s: UploadSession): RegistryError {
  return new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${s.id} has ended`);
}

/**
 * The upload sessions of one server. Chunks must arrive in order (the hash is
 * computed on the way); a chunk that fails half way is rolled back (file
 * truncated, hash state restored), so the client can retry it.
 */
export class UploadSessions {
  readonly #store: LayoutStore;
  readonly #sessions = new Map<string, UploadSession>();
  readonly #sweeper: NodeJS.Timeout;

  constructor(store: LayoutStore) {
    this.#store = store;
    this.#sweeper = setInterval(() => void this.#sweep(), SWEEP_INTERVAL_MS);
    this.#sweeper.unref();
  }

  async start(name: string): Promise<UploadSession> {
    if (this.#sessions.size >= MAX_UPLOAD_SESSIONS) {
      throw new RegistryError(429, 'TOOMANYREQUESTS', 'too many uploads in progress', { headers: { 'Retry-After': '10' } });
    }
    const path = await this.#store.tempPath('.upload');
    const fh = await open(path, 'wx');
    await fh.close();
    const session: UploadSession = { id: randomUUID(), name, path, hasher: createDigester('sha256'), offset: 0, busy: false, ended: false, touched: Date.now() };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The session `id` of repository `name`; BLOB_UPLOAD_UNKNOWN otherwise. */
  get(name: string, id: string | undefined): UploadSession {
    const s = id === undefined ? undefined : this.#sessions.get(id);
    if (!s || s.name !== name) throw new RegistryError(404, 'BLOB_UPLOAD_UNKNOWN', `upload ${id ?? ''} not found in ${name}`);
    return s;
  }

  /**
   * Appends a request body at the session's offset. `expected` (from
   * Content-Range / Content-Length) is checked: a chunk that does not start at
   * the offset is 416, one whose length differs is 400.
   */
  async append(session: UploadSession, body: AsyncIterable<Buffer>, expected: { start?: number | undefined; length?: number | undefined }): Promise<void> {
    if (session.ended) throw gone(session);
    if (session.busy) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `upload ${session.id} is receiving another chunk`);
    if (expected.start !== undefined && expected.start !== session.offset) {
      throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `chunk starts at ${expected.start}, expected ${session.offset}`, {
        headers: { Range: rangeHeader(session.offset) },
      });
    }
    session.busy = true;
    session.touched = Date.now();
    const saved = session.hasher.copy();
    const start = session.offset;
    const fh = await open(session.path, 'r+');
    try {
      for await (const chunk of body) {
        if (session.ended) throw gone(session);
        if (expected.length !== undefined && session.offset - start + chunk.byteLength > expected.length) {
          throw new RegistryError(400, 'SIZE_INVALID', `chunk is longer than its declared ${expected.length} bytes`);
        }
        session.hasher.update(chunk);
        let written = 0;
        while (written < chunk.byteLength) {
          const r = await fh.write(chunk, written, chunk.byteLength - written, session.offset + written);
          written += r.bytesWritten;
        }
        session.offset += chunk.byteLength;
      }
      if (expected.length !== undefined && session.offset - start !== expected.length) {
        throw new RegistryError(400, 'SIZE_INVALID', `chunk has ${session.offset - start} bytes, declared ${expected.length}`);
      }
    } catch (error) {
      session.hasher = saved;
      session.offset = start;
      await fh.truncate(start).catch(() => undefined);
      throw error;
    } finally {
      await fh.close();
      session.busy = false;
      session.touched = Date.now();
      if (session.ended) await rm(session.path, { force: true });
    }
  }

  /** Verifies the whole upload against `digest` and makes it a visible blob; the session ends either way. */
  async finish(session: UploadSession, digest: Digest): Promise<WriteBlobResult> {
    if (session.ended) throw gone(session);
    if (session.busy) throw new RegistryError(416, 'BLOB_UPLOAD_INVALID', `upload ${session.id} is receiving another chunk`);
    session.ended = true;
    this.#sessions.delete(session.id);
    try {
      const algorithm = digestAlgorithm(digest);
      // The running hash is sha256; another algorithm needs one more pass over the file.
      const actual = algorithm === 'sha256' ? `sha256:${session.hasher.digest('hex')}` : await hashFile(session.path, algorithm);
      if (actual !== digest) {
        throw new RegistryError(400, 'DIGEST_INVALID', `upload hashes to ${actual}, not ${digest}`);
      }
      if (this.#store.fsync) {
        const fh = await open(session.path, 'r+');
        try {
          await fh.sync();
        } finally {
          await fh.close();
        }
      }
      return await this.#store.commitTempBlob(session.path, digest);
    } finally {
      await rm(session.path, { force: true });
    }
  }

  /** Ends the upload; a chunk still arriving stops at its next piece and the file goes with it. */
  async cancel(session: UploadSession): Promise<void> {
    if (session.ended) throw gone(session);
    session.ended = true;
    this.#sessions.delete(session.id);
    if (!session.busy) await rm(session.path, { force: true });
  }

  /** Abandons every session and removes its temp file (server shutdown). */
  async closeAll(): Promise<void> {
    clearInterval(this.#sweeper);
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) s.ended = true;
    // Files of uploads still receiving a chunk are removed when that chunk stops.
    await Promise.all(all.filter((s) => !s.busy).map((s) => rm(s.path, { force: true })));
  }

  async #sweep(): Promise<void> {
    const cutoff = Date.now() - UPLOAD_IDLE_MS;
    for (const s of [...this.#sessions.values()]) {
      if (!s.busy && s.touched < cutoff) await this.cancel(s).catch(() => undefined);
    }
  }
}

/** `Range` header value for an upload holding `offset` bytes (distribution answers 0-0 for none). */
export function rangeHeader(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}

async function hashFile(path: string, algorithm: string): Promise<string> {
  const hasher = createDigester(algorithm);
  for await (const chunk of createReadStream(path)) hasher.update(chunk as Buffer);
  return `${algorithm}:${hasher.digest('hex')}`;
}
