import { PassThrough, type Readable } from 'node:stream';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import { SerialQueue } from './serial-queue.ts';
import type { TarEntryOptions } from './tar-file-writer.ts';
import { BLOCK_SIZE, encodeEntryHeaders, paddingFor } from './tar-header.ts';

/**
 * Writes a tar archive as a stream (an HTTP request body, say), one entry at a
 * time, with backpressure: nothing is staged on disk. Every entry's size must
 * be known before its data, since its header goes first. Unlike
 * {@link TarFileWriter} an entry cannot be taken back once its first byte has
 * left: a failure in the middle of an entry breaks the whole archive (every
 * later call fails with that error, and {@link stream} ends with it), while a
 * failure before the first data chunk leaves the archive as it was, so the
 * entry may be tried again.
 */
export class TarStreamWriter {
  /** The archive's bytes. Whoever reads it sets the pace. */
  readonly stream: Readable;
  readonly #out = new PassThrough();
  readonly #queue = new SerialQueue();
  #broken: Error | undefined;
  #ended = false;
  #breaking = false;
  #readerGone = false;

  constructor() {
    this.stream = this.#out;
    // The reader may go away (the daemon refused the upload); later writes report it instead of waiting for ever.
    const gone = (error?: Error): void => {
      if (this.#breaking || (this.#ended && this.#out.writableFinished)) return;
      this.#readerGone = true;
      this.#broken ??= new FerryError('IO', `the reader of the tar stream went away${error ? ` (${error.message})` : ''}`, { cause: error });
    };
    this.#out.on('error', gone);
    this.#out.on('close', () => gone());
  }

  /** Whether the archive was cut short; no entry can be added any more. */
  get broken(): Error | undefined {
    return this.#broken;
  }

  /** Whether it was the reader, not this writer, that ended the stream early. */
  get readerGone(): boolean {
    return this.#readerGone;
  }

  /** Adds a small file held in memory. */
  async addBytes(name: string, bytes: Uint8Array, options: TarEntryOptions = {}): Promise<void> {
    await this.addKnownFile(name, bytes.byteLength, [bytes], options);
  }

  /**
   * Streams `data` into a new entry of exactly `size` bytes. The header is
   * written with the first chunk (or at the end for an empty entry).
   */
  async addKnownFile(name: string, size: number, data: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, options: TarEntryOptions = {}): Promise<void> {
    await this.#exclusive(async () => {
      throwIfAborted(options.signal);
      let written = 0;
      let started = false;
      const start = async (): Promise<void> => {
        started = true;
        await this.#write(encodeEntryHeaders({ name, size, type: '0', mode: options.mode }));
      };
      try {
        for await (const chunk of data) {
          throwIfAborted(options.signal);
          if (chunk.byteLength === 0) continue;
          written += chunk.byteLength;
          if (written > size) throw new FerryError('SIZE_MISMATCH', `tar entry ${name}: more than the announced ${size} bytes`);
          if (!started) await start();
          await this.#write(chunk);
        }
        if (written !== size) throw new FerryError('SIZE_MISMATCH', `tar entry ${name}: ${written} bytes, announced ${size}`);
        if (!started) await start();
        const pad = paddingFor(size);
        if (pad > 0) await this.#write(Buffer.alloc(pad));
      } catch (error) {
        const reason = options.signal?.aborted && !(error instanceof FerryError) ? abortError(options.signal) : error;
        if (started) {
          // Later calls (a retry of this entry, say) fail at once and for good: the archive cannot be mended.
          this.#break(new FerryError('IO', `the tar stream broke while ${name} was written: ${(reason as Error).message}`, { cause: reason }));
        }
        throw reason;
      }
    });
  }

  /** Ends the archive with its two zero blocks and ends {@link stream}. */
  async finish(): Promise<void> {
    await this.#exclusive(async () => {
      await this.#write(Buffer.alloc(2 * BLOCK_SIZE));
      this.#ended = true;
      this.#out.end();
    });
  }

  /** Cuts the archive short: {@link stream} ends with `reason`, so a reader sees a broken archive, never a complete one. */
  destroy(reason: Error): void {
    if (this.#ended && this.#out.writableFinished) return;
    this.#break(reason);
  }

  #break(reason: Error): void {
    this.#broken ??= reason;
    this.#breaking = true;
    this.#out.destroy(reason);
  }

  /** Writes with backpressure; fails when the reader went away instead of waiting for a drain that never comes. */
  async #write(buf: Uint8Array): Promise<void> {
    if (this.#broken) throw this.#broken;
    if (this.#out.write(buf)) return;
    await new Promise<void>((resolve, reject) => {
      const done = (): void => {
        this.#out.off('drain', done);
        this.#out.off('close', done);
        if (this.#broken) reject(this.#broken);
        else resolve();
      };
      this.#out.on('drain', done);
      this.#out.on('close', done);
    });
  }

  /** Entries are written one at a time, in call order. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.#queue.run(async () => {
      if (this.#broken) throw this.#broken;
      if (this.#ended) throw new FerryError('IO', 'the tar stream is already finished');
      return fn();
    });
  }
}
