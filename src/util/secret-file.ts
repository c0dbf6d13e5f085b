import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { FerryError, throwIfAborted } from '../errors.ts';

/** A credentials or token file holds one line; anything larger is the wrong file. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * The first line of a small regular file holding a secret (`--src-creds-file`,
 * a token file), without its line ending. Opened without blocking, so a FIFO
 * or device named by mistake is refused instead of read forever.
 *
 * @throws FerryError `IO` naming the file and `what` it was given as; never its content.
 */
export async function readSecretLine(path: string, what: string, options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
  throwIfAborted(options.signal);
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error));
    throw new FerryError('IO', `cannot read ${what} "${path}": ${why}`, { cause: error, hint: `${what} names a file whose first line is the secret` });
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new FerryError('IO', `${what} "${path}" is not a regular file`, { hint: 'give a file whose first line is the secret (a pipe or device is not read)' });
    if (info.size > MAX_SECRET_FILE_BYTES) throw new FerryError('IO', `${what} "${path}" is larger than ${MAX_SECRET_FILE_BYTES / 1024} KiB`, { hint: 'it should hold one line' });
    const text = await handle.readFile({ encoding: 'utf8', signal: options.signal });
    const line = text.split('\n', 1)[0] ?? '';
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  } finally {
    await handle.close();
  }
}
