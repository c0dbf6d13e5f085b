import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError, abortError, throwIfAborted } from '../errors.ts';
import { openRegularFileStream } from '../util/regular-file.ts';
import { decompressor, expansionLimit, sniffFile } from './compression.ts';
import { safeEntryPath } from './entry-path.ts';

export interface ExtractOptions {
  /** Names the archive in errors, e.g. `oci-archive:/tmp/app.tar`. */
  where: string;
  /** Largest size of entries by name (metadata read into memory later), checked from the header before a byte is written. */
  entryLimits?: Readonly<Record<string, number>> | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Unpacks the tar file at `path` (gzip or zstd compressed too) into the
 * existing directory `dir`, refusing anything that could write outside it or
 * plant a link: entries with absolute paths or `..`, symlinks, hard links,
 * devices and FIFOs fail the whole extraction with `CORRUPT`. Only regular
 * files (mode 0644) and directories are created; a name that appears twice is
 * refused rather than overwritten. Only a regular file is read; a
 * compressed one may not expand beyond {@link expansionLimit}. The caller
 * removes `dir` on failure.
 */
export async function extractTarSafely(path: string, dir: string, options: ExtractOptions): Promise<void> {
  throwIfAborted(options.signal);
  const compression = await sniffFile(path);
  const unzip = decompressor(compression);
  const extract = tar.extract();
  const made = new Set<string>();
  const ensureDir = async (rel: string): Promise<void> => {
    if (rel === '' || rel === '.' || made.has(rel)) return;
    await mkdir(join(dir, rel), { recursive: true });
    made.add(rel);
  };
  const consume = async (): Promise<void> => {
    for await (const entry of extract as AsyncIterable<Readable & { header: tar.Header }>) {
      throwIfAborted(options.signal);
      const { header } = entry;
      const rel = safeEntryPath(header.name, options.where);
      if (header.type === 'directory') {
        await ensureDir(rel);
        entry.resume();
        continue;
      }
      if (header.type !== 'file' && header.type !== 'contiguous-file') {
        throw new FerryError('CORRUPT', `${options.where}: refusing tar entry "${header.name}": ${header.type === 'link' ? 'hard link' : header.type} entries are not allowed in an image archive`, {
          hint: 'the archive may be crafted to write outside its directory; nothing was written outside the temporary directory',
        });
      }
      const limit = options.entryLimits?.[rel];
      if (limit !== undefined && (header.size ?? 0) > limit) {
        throw new FerryError('CORRUPT', `${options.where}: tar entry "${header.name}" is ${header.size} bytes, over the ${limit}-byte limit for it`);
      }
      await ensureDir(rel.includes('/') ? dirname(rel) : '');
      try {
        // 'wx': a second entry of the same name must not replace (or follow) what the first one made.
        await pipeline(entry, createWriteStream(join(dir, rel), { flags: 'wx', mode: 0o644 }));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST' || (error as NodeJS.ErrnoException).code === 'EISDIR') {
          throw new FerryError('CORRUPT', `${options.where}: tar entry "${header.name}" appears twice`, { cause: error });
        }
        throw error;
      }
    }
  };
  const { stream: source, size } = await openRegularFileStream(path, { what: 'archive', signal: options.signal });
  const feeding = unzip
    ? pipeline(source, unzip, expansionLimit(size, options.where), extract, options.signal ? { signal: options.signal } : {})
    : pipeline(source, extract, options.signal ? { signal: options.signal } : {});
  const [fed, consumed] = await Promise.allSettled([feeding, consume()]);
  if (fed.status === 'fulfilled' && consumed.status === 'fulfilled') return;
  source.destroy();
  extract.destroy();
  if (options.signal?.aborted) throw abortError(options.signal);
  // The entry check's own error explains more than the broken pipe it causes.
  const error: unknown = consumed.status === 'rejected' ? consumed.reason : (fed as PromiseRejectedResult).reason;
  if (error instanceof FerryError) throw error;
  throw new FerryError('CORRUPT', `${options.where}: cannot unpack the archive (${(error as Error).message})`, { cause: error });
}
