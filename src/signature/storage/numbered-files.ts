import { mkdir, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FerryError } from '../../errors.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { readSmallFileIfPresent } from '../../util/regular-file.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';

/**
 * Signatures stored as numbered files `…signature-1`, `…signature-2`, … (a
 * `file://` lookaside, a `dir:` image): read until the first missing number;
 * written as a whole list, with higher numbers left by an earlier list removed.
 */

/** A loop guard: no image has this many signatures. */
export const MAX_SIGNATURES = 1000;

export async function readNumberedFiles(pathOf: (n: number) => string): Promise<Array<{ blob: Uint8Array; path: string }>> {
  const out: Array<{ blob: Uint8Array; path: string }> = [];
  for (let n = 1; n <= MAX_SIGNATURES; n++) {
    const path = pathOf(n);
    const blob = await readSmallFileIfPresent(path, { what: 'signature', maxBytes: MAX_SIGNATURE_BYTES, code: 'INVALID_MANIFEST' });
    if (blob === undefined) break;
    out.push({ blob, path });
  }
  return out;
}

export async function writeNumberedFiles(pathOf: (n: number) => string, blobs: readonly Uint8Array[]): Promise<void> {
  try {
    for (const [i, blob] of blobs.entries()) {
      const path = pathOf(i + 1);
      await mkdir(dirname(path), { recursive: true });
      await writeFileAtomic(path, blob);
    }
    for (let n = blobs.length + 1; n <= MAX_SIGNATURES; n++) {
      try {
        await unlink(pathOf(n));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
        throw error;
      }
    }
  } catch (error) {
    throw new FerryError('IO', `cannot write signatures to ${dirname(pathOf(1))}: ${(error as Error).message}`, { cause: error });
  }
}
