import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import { createDigester, digestAlgorithm, isDigest, type Digest } from '../../oci/digest.ts';
import { blobEntryName } from './bundle-format.ts';
import { fileKind, openRegularFileStream } from '../../util/regular-file.ts';

/**
 * Tar parts of a bundle: each is a plain (uncompressed — layers are
 * compressed already) ustar archive of `blobs/<alg>/<hex>` entries and
 * nothing else. Both directions stream: a part is hashed as it is written or
 * read, and every blob in it as it passes.
 */

const BLOCK = 512;
/** Two zero blocks end a tar archive. */
export const TAR_END_BYTES = 2 * BLOCK;
// Names longer than ustar's 100 bytes need a PAX header (a header block and one data block for a name this short).
const USTAR_NAME_MAX = 100;
const ENTRY_NAME_RE = /^blobs\/([a-z0-9]+)\/([0-9a-f]+)$/;

/** Bytes one blob takes in a part: header, data, padding (and a PAX name header for long digests). */
export function tarEntryBytes(digest: Digest, size: number): number {
  const name = blobEntryName(digest);
  return (name.length > USTAR_NAME_MAX ? 2 * BLOCK : 0) + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
}

/** What went into or came out of a part. */
export interface PartDigest {
  /** sha256 of the whole file, hex. */
  sha256: string;
  size: number;
}

export interface PartBlobSource {
  digest: Digest;
  size: number;
  open(): Promise<Readable>;
}

/**
 * Writes the blobs as one tar file at `path` (which must not exist), hashing
 * each blob on the way: a blob whose bytes do not match its digest fails the
 * part with `CORRUPT` (the caller deletes the file). Returns the part's
 * sha256 and size.
 */
export async function writePart(path: string, blobs: readonly PartBlobSource[], options: { mtime: Date; signal?: AbortSignal | undefined }): Promise<PartDigest> {
  const { signal } = options;
  throwIfAborted(signal);
  const fh = await open(path, 'wx');
  const pack = tar.pack();
  const partHash = createHash('sha256');
  let size = 0;
  const consume = async (): Promise<void> => {
    for await (const chunk of pack as AsyncIterable<Buffer>) {
      partHash.update(chunk);
      size += chunk.byteLength;
      let at = 0;
      while (at < chunk.byteLength) at += (await fh.write(chunk, at, chunk.byteLength - at)).bytesWritten;
    }
  };
  const produce = async (): Promise<void> => {
    try {
      for (const blob of blobs) {
        throwIfAborted(signal);
        const finished = new Promise<void>((resolve, reject) => {
          const sink = pack.entry({ name: blobEntryName(blob.digest), size: blob.size, mode: 0o644, mtime: options.mtime, type: 'file' }, (err) => (err ? reject(err) : resolve()));
          void (async () => {
            const hasher = createDigester(digestAlgorithm(blob.digest));
            try {
              for await (const chunk of await blob.open()) {
                throwIfAborted(signal);
                hasher.update(chunk as Buffer);
                if (!sink.write(chunk)) await once(sink, 'drain');
              }
              const actual = `${digestAlgorithm(blob.digest)}:${hasher.digest('hex')}`;
              if (actual !== blob.digest) {
                throw new FerryError('CORRUPT', `stored blob ${blob.digest} hashes to ${actual}`, { hint: 'run ferry verify STORE --repair before making a bundle' });
              }
              sink.end(undefined);
            } catch (error) {
              sink.destroy(error as Error);
              reject(error as Error);
            }
          })();
        });
        await finished;
      }
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
      throw error;
    }
  };
  try {
    const [produced, consumed] = await Promise.allSettled([produce(), consume()]);
    if (produced.status === 'rejected') throw produced.reason;
    if (consumed.status === 'rejected') throw consumed.reason;
    await fh.sync();
  } catch (error) {
    if (signal?.aborted && !(error instanceof FerryError)) throw abortError(signal);
    if (error instanceof FerryError) throw error;
    throw new FerryError('IO', `cannot write bundle part ${path}: ${(error as Error).message}`, { cause: error });
  } finally {
    await fh.close();
  }
  return { sha256: partHash.digest('hex'), size };
}

/** One entry of a part as read. */
export interface PartEntry {
  /** The name as stored in the tar header. */
  name: string;
  size: number;
  /** The blob digest the name stands for, when the entry is an acceptable blob entry. */
  digest?: Digest | undefined;
  /** Why the entry is not acceptable (path traversal, links, foreign names), when it is not. */
  refused?: string | undefined;
  /** The entry's data; a handler that does not read it leaves it to be skipped. */
  data: Readable;
}

/** Whether a tar entry may be in a part: a regular file named `blobs/<alg>/<hex>` with a valid digest. */
export function checkEntry(header: tar.Header): { digest: Digest } | { refused: string } {
  const name = header.name;
  if (header.type !== 'file' && header.type !== 'contiguous-file') {
    const kind = header.type === 'link' ? 'a hard link' : header.type === 'symlink' ? 'a symbolic link' : `a ${header.type ?? 'typeless'} entry`;
    return { refused: `"${name}" is ${kind}; bundle parts hold regular files only` };
  }
  if (name.startsWith('/')) return { refused: `"${name}" is an absolute path` };
  if (name.split('/').includes('..')) return { refused: `"${name}" contains ".."` };
  const m = ENTRY_NAME_RE.exec(name);
  const digest = m ? `${m[1]}:${m[2]}` : '';
  if (!m || !isDigest(digest)) return { refused: `"${name}" is not blobs/<algorithm>/<hex>` };
  return { digest };
}

/**
 * The size of the part file at `path`, undefined when it is missing.
 *
 * @throws FerryError `CORRUPT` when it is not a regular file: a FIFO would
 * block the reader and a link to a device never ends.
 */
export async function partFileSize(path: string, name: string): Promise<number | undefined> {
  const st = await stat(path).catch(() => undefined);
  if (st === undefined) return undefined;
  if (!st.isFile()) throw new FerryError('CORRUPT', `bundle part ${name} is ${fileKind(st)}, not a regular file`, { hint: 'copy the part file itself into the bundle directory' });
  return st.size;
}

/**
 * Reads a part as a stream, hashing the whole file, and hands each entry to
 * `onEntry` in order (entries it does not read are skipped). Throws
 * `CORRUPT` when the file is not a readable tar (a damaged header), or what
 * `onEntry` throws. Returns the part's sha256 and size.
 */
export async function readPart(path: string, onEntry: (entry: PartEntry) => Promise<void>, options: { signal?: AbortSignal | undefined } = {}): Promise<PartDigest> {
  const { signal } = options;
  throwIfAborted(signal);
  const partHash = createHash('sha256');
  let size = 0;
  const hashing = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      partHash.update(chunk);
      size += chunk.byteLength;
      cb(null, chunk);
    },
  });
  const extract = tar.extract();
  const consume = async (): Promise<void> => {
    for await (const entry of extract) {
      throwIfAborted(signal);
      const checked = checkEntry(entry.header);
      await onEntry({ name: entry.header.name, size: entry.header.size ?? 0, data: entry as unknown as Readable, ...checked });
      // Whatever the handler left unread is skipped, so the next entry can come (a no-op for a drained entry).
      entry.resume();
    }
  };
  const { stream: source } = await openRegularFileStream(path, { what: 'bundle part', code: 'CORRUPT', signal });
  const feeding = pipeline(source, hashing, extract, signal ? { signal } : {});
  const [fed, consumed] = await Promise.allSettled([feeding, consume()]);
  if (fed.status === 'fulfilled' && consumed.status === 'fulfilled') {
    // The extractor stops at the end-of-archive marker; bytes after it still count towards the file's checksum.
    return { sha256: partHash.digest('hex'), size };
  }
  source.destroy();
  extract.destroy();
  if (signal?.aborted) throw abortError(signal);
  const error: unknown = consumed.status === 'rejected' ? consumed.reason : (fed as PromiseRejectedResult).reason;
  if (error instanceof FerryError) throw error;
  throw new FerryError('CORRUPT', `bundle part ${path} is not a readable tar file (${(error as Error).message})`, { cause: error });
}
