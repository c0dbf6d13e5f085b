import type { FileHandle } from 'node:fs/promises';
import { FerryError } from '../../errors.ts';

/** Small file-system helpers of the layout store. */

/** Writes all of `buf` (short writes are continued), at the file position or at `position` when given. */
export async function writeAll(fh: FileHandle, buf: Uint8Array, position?: number): Promise<void> {
  let offset = 0;
  while (offset < buf.byteLength) {
    const { bytesWritten } = await fh.write(buf, offset, buf.byteLength - offset, position === undefined ? null : position + offset);
    offset += bytesWritten;
  }
}


export function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

export function ioError(message: string, cause: unknown): FerryError {
  return new FerryError('IO', `${message}: ${(cause as Error).message}`, { cause });
}
