import { constants, createReadStream, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { FerryError, abortError, throwIfAborted, type ErrorCode } from '../errors.ts';
import { readAtMost } from './read-at-most.ts';

/**
 * The one guard for files ferry reads from a path it was given (manifests,
 * bundle.json and parts, archives, configs, auth files): only regular files
 * are read, and small ones only up to a cap. A FIFO would block a plain
 * open() until a writer comes, and a link to /dev/zero never ends.
 */

export interface RegularFileOptions {
  /** What the file is, for messages: "manifest", "bundle part", "auth file". */
  what: string;
  /** Code of a refusal (not a regular file, too large); default INVALID_CONFIG. */
  code?: ErrorCode | undefined;
  /** Code when the file does not exist; default NOT_FOUND. */
  missingCode?: ErrorCode | undefined;
  signal?: AbortSignal | undefined;
}

export interface SmallFileOptions extends RegularFileOptions {
  /** Largest size accepted; a larger file is refused without reading it. */
  maxBytes: number;
}

/** An open regular file and its size when opened. Close `handle` (or hand it to a stream with autoClose). */
export interface OpenedFile {
  handle: FileHandle;
  size: number;
}

// O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one; on a regular file it changes nothing.
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK;

/** What a file that is not regular is, for messages: "a FIFO (named pipe)", "a character device", … */
export function fileKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}

async function notRegular(path: string, target: Stats | undefined, options: RegularFileOptions): Promise<FerryError> {
  const link = await lstat(path).then((st) => st.isSymbolicLink(), () => false);
  const kind = target ? fileKind(target) : 'not a regular file';
  return new FerryError(options.code ?? 'INVALID_CONFIG', `${options.what} ${path} is ${link ? `a symbolic link to ${kind}` : kind}, not a regular file`, {
    hint: 'ferry reads only regular files here: a pipe could block it for ever, and a device may never end',
  });
}

function openError(path: string, error: unknown, options: RegularFileOptions): FerryError {
  const code = (error as NodeJS.ErrnoException).code;
  if (isMissing(error)) return new FerryError(options.missingCode ?? 'NOT_FOUND', `${options.what} ${path} does not exist`, { cause: error });
  return new FerryError('IO', `cannot read ${options.what} ${path}: ${code ?? (error as Error).message}`, {
    cause: error,
    hint: code === 'EACCES' ? 'check the permissions of the file' : undefined,
  });
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Opens `path` (symbolic links followed) for reading when it is a regular
 * file, without ever blocking on what it is.
 *
 * @throws FerryError `missingCode` (default NOT_FOUND) when it does not exist; `code` (default
 * INVALID_CONFIG) naming the path and what it is (a FIFO, a device, a
 * socket, a directory, or a symbolic link to one) when it is not a regular
 * file; IO when it cannot be opened.
 */
export async function openRegularFile(path: string, options: RegularFileOptions): Promise<OpenedFile> {
  throwIfAborted(options.signal);
  let handle: FileHandle;
  try {
    handle = await open(path, OPEN_FLAGS);
  } catch (error) {
    // A socket (or a device without a driver) cannot be opened at all.
    if ((error as NodeJS.ErrnoException).code === 'ENXIO') throw await notRegular(path, await lstat(path).catch(() => undefined), options);
    throw openError(path, error, options);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw await notRegular(path, st, options);
    return { handle, size: st.size };
  } catch (error) {
    await handle.close();
    if (error instanceof FerryError) throw error;
    throw openError(path, error, options);
  }
}

/**
 * Streams a regular file (see {@link openRegularFile}), from `start` to
 * `end` inclusive, at most the size it had when opened.
 */
export async function openRegularFileStream(
  path: string,
  options: RegularFileOptions & { start?: number | undefined; end?: number | undefined; highWaterMark?: number | undefined },
): Promise<{ stream: Readable; size: number }> {
  const { handle, size } = await openRegularFile(path, options);
  // Bounded by the size seen at open: a file that grows while it is read cannot make the reader go on for ever.
  const end = Math.min(options.end ?? size - 1, size - 1);
  if (end < (options.start ?? 0)) {
    await handle.close();
    return { stream: Readable.from([]), size };
  }
  const stream = createReadStream('', { fd: handle, autoClose: true, start: options.start, end, signal: options.signal, highWaterMark: options.highWaterMark });
  return { stream, size };
}

/**
 * Reads a small regular file (a manifest, a config, bundle.json) whole.
 *
 * @throws FerryError as {@link openRegularFile}, and `code` when the file is
 * larger than `maxBytes` (told by its size before a byte is read, and while
 * reading: files in /proc say 0, and a file may grow).
 */
export async function readSmallFile(path: string, options: SmallFileOptions): Promise<Buffer> {
  const { handle, size } = await openRegularFile(path, options);
  const tooLarge = (): FerryError =>
    new FerryError(options.code ?? 'INVALID_CONFIG', `${options.what} ${path} is larger than the ${options.maxBytes}-byte limit${size > options.maxBytes ? ` (${size} bytes)` : ''}`, {
      hint: `this is too large to be a ${options.what}`,
    });
  if (size > options.maxBytes) {
    await handle.close();
    throw tooLarge();
  }
  let bytes: Buffer | undefined;
  try {
    bytes = await readAtMost(handle.createReadStream({ autoClose: false, signal: options.signal }), options.maxBytes);
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    throw openError(path, error, options);
  } finally {
    await handle.close();
  }
  if (bytes === undefined) throw tooLarge();
  return bytes;
}

/** As {@link readSmallFile}, with undefined when the file does not exist. */
export async function readSmallFileIfPresent(path: string, options: SmallFileOptions): Promise<Buffer | undefined> {
  try {
    return await readSmallFile(path, options);
  } catch (error) {
    if (error instanceof FerryError && isMissing(error.cause)) return undefined;
    throw error;
  }
}
