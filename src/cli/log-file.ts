import { closeSync, openSync, writeSync } from 'node:fs';
import { FerryError } from '../errors.ts';
import type { Sink } from './output.ts';

/**
 * A log file (`ferry sync --log FILE`, as image-syncer's): appended to, and
 * written synchronously, so every line is on disk even when the process is
 * ended by force a moment later.
 */
export function openLogFile(path: string): Sink & { close(): void } {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o644);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FerryError('IO', `cannot open the log file ${path}: ${code ?? (error as Error).message}`, { cause: error, hint: 'give --log a file in a directory you can write to' });
  }
  let open = true;
  return {
    write: (text: string) => {
      if (open) writeSync(fd, text);
    },
    close: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
