import { readSmallFile } from './regular-file.ts';

/** A credentials or token file holds one line; anything larger is the wrong file. */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** The first line of `data`, without its line ending (`\n` or `\r\n`), as skopeo reads secret files. */
export function firstLine(data: Buffer): Buffer {
  const newline = data.indexOf(0x0a);
  const line = newline === -1 ? data : data.subarray(0, newline);
  return line.length > 0 && line[line.length - 1] === 0x0d ? line.subarray(0, line.length - 1) : line;
}

/**
 * The first line of a small regular file holding a secret (`--src-creds-file`,
 * a token file), through the one small-file guard: a FIFO or device named by
 * mistake is refused instead of read for ever, and the size is capped.
 *
 * @throws FerryError `IO` naming the file and `what` it was given as; never its content.
 */
export async function readSecretLine(path: string, what: string, options: { signal?: AbortSignal | undefined } = {}): Promise<string> {
  const data = await readSmallFile(path, { what, maxBytes: MAX_SECRET_FILE_BYTES, code: 'IO', missingCode: 'IO', signal: options.signal });
  return firstLine(data).toString('utf8');
}
