import { open, rm, type FileHandle } from 'node:fs/promises';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import { SerialQueue } from './serial-queue.ts';
import { BLOCK_SIZE, encodeEntryHeaders, encodeHeader, fitsUstar, paddingFor } from './tar-header.ts';

export interface TarEntryOptions {
  signal?: AbortSignal | undefined;
  mode?: number | undefined;
}

/**
 * Writes a tar archive to a file, one entry at a time, streaming each entry's
 * data straight to disk. Unlike a pack stream it writes an entry's header
 * last, so an entry whose size or name is only known after its data (a layer
 * decompressed on the way, named by its uncompressed digest) still streams
 * once; and it can take an entry back: when the data fails (digest mismatch,
 * broken download) the file is cut back to where the entry began, so a retry
 * appends to a clean archive.
 */
export class TarFileWriter {
  readonly path: string;
  #fh: FileHandle;
  #position = 0;
  readonly #queue = new SerialQueue();
  #closed = false;

  private constructor(path: string, fh: FileHandle) {
    this.path = path;
    this.#fh = fh;
  }

  /** Creates `path` (it must not exist) for writing. */
  static async create(path: string): Promise<TarFileWriter> {
    try {
      return new TarFileWriter(path, await open(path, 'wx'));
    } catch (error) {
      throw new FerryError('IO', `cannot create ${path}: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Bytes written so far. */
  get position(): number {
    return this.#position;
  }

  /** Adds a small file held in memory. */
  async addBytes(name: string, bytes: Uint8Array, options: TarEntryOptions = {}): Promise<void> {
    await this.addStream([bytes], () => name, options);
  }

  /** Adds a directory entry. */
  async addDirectory(name: string, options: TarEntryOptions = {}): Promise<void> {
    await this.#exclusive(async () => {
      throwIfAborted(options.signal);
      const header = encodeEntryHeaders({ name: name.endsWith('/') ? name : `${name}/`, size: 0, type: '5', mode: options.mode });
      await this.#write(header, this.#position);
      this.#position += header.length;
    });
  }

  /**
   * Streams `data` into a new entry and returns its size. `nameOf` is called
   * after the data has been written, so it may depend on what streaming
   * found out (a digest). The name must then fit one ustar header (≤100
   * bytes, or a prefix/name split at a slash). On any failure the archive is
   * cut back to its state before the call.
   */
  async addStream(data: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>, nameOf: () => string, options: TarEntryOptions = {}): Promise<number> {
    return this.#exclusive(async () => {
      throwIfAborted(options.signal);
      const start = this.#position;
      // The header goes in front of the data; a PAX name block cannot be sized in advance, so the late name must fit ustar.
      let at = start + BLOCK_SIZE;
      try {
        for await (const chunk of data) {
          throwIfAborted(options.signal);
          const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
          await this.#write(buf, at);
          at += buf.byteLength;
        }
        const size = at - start - BLOCK_SIZE;
        const name = nameOf();
        if (!fitsUstar(name)) {
          // Names decided late are digests (short); a long one would need a PAX block in front of data already written.
          throw new FerryError('UNSUPPORTED', `tar entry name "${name}" is too long to be named after its data`);
        }
        const pad = paddingFor(size);
        if (pad > 0) await this.#write(Buffer.alloc(pad), at);
        await this.#write(encodeHeader({ name, size, type: '0', mode: options.mode }), start);
        this.#position = at + pad;
        return size;
      } catch (error) {
        await this.#fh.truncate(start).catch(() => undefined);
        if (options.signal?.aborted && !(error instanceof FerryError)) throw abortError(options.signal);
        throw error;
      }
    });
  }

  /**
   * Adds an entry whose name is known in advance (any length) and whose data
   * has exactly `size` bytes; used for copying files into an archive.
   */
  async addKnownFile(name: string, size: number, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: TarEntryOptions = {}): Promise<void> {
    if (fitsUstar(name)) {
      const written = await this.addStream(data, () => name, options);
      if (written !== size) throw new FerryError('IO', `${name} changed while it was archived (${written} bytes, expected ${size})`);
      return;
    }
    await this.#exclusive(async () => {
      const start = this.#position;
      try {
        const header = encodeEntryHeaders({ name, size, type: '0', mode: options.mode });
        let at = start;
        await this.#write(header, at);
        at += header.length;
        let written = 0;
        for await (const chunk of data) {
          throwIfAborted(options.signal);
          written += chunk.byteLength;
          if (written > size) break;
          await this.#write(chunk, at);
          at += chunk.byteLength;
        }
        if (written !== size) throw new FerryError('IO', `${name} changed while it was archived (expected ${size} bytes)`);
        const pad = paddingFor(size);
        if (pad > 0) await this.#write(Buffer.alloc(pad), at);
        this.#position = at + pad;
      } catch (error) {
        await this.#fh.truncate(start).catch(() => undefined);
        throw error;
      }
    });
  }

  /** Ends the archive (two zero blocks), flushes it to disk and closes the file. */
  async finish(options: { fsync?: boolean | undefined } = {}): Promise<void> {
    await this.#exclusive(async () => {
      await this.#write(Buffer.alloc(2 * BLOCK_SIZE), this.#position);
      this.#position += 2 * BLOCK_SIZE;
      await this.#fh.truncate(this.#position);
      if (options.fsync ?? true) await this.#fh.sync();
    });
    await this.#close();
  }

  /** Closes and deletes the unfinished archive. */
  async discard(): Promise<void> {
    await this.#close();
    await rm(this.path, { force: true });
  }

  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#fh.close();
  }

  async #write(buf: Uint8Array, position: number): Promise<void> {
    let offset = 0;
    while (offset < buf.byteLength) {
      const { bytesWritten } = await this.#fh.write(buf, offset, buf.byteLength - offset, position + offset);
      offset += bytesWritten;
    }
  }

  /** Entries are written one at a time, in call order: a second writer would interleave with the first. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (this.#closed) throw new FerryError('IO', `${this.path} is already closed`);
      return fn();
    });
  }
}
