import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError, abortError } from '../errors.ts';
import { resolveInArchive } from './entry-path.ts';
import { BLOCK_SIZE } from './tar-header.ts';

/** Where one entry of an uncompressed tar file lives, for random access. */
export interface TarIndexEntry {
  /** Normalised relative name. */
  name: string;
  type: tar.Header['type'];
  /** Byte offset of the entry's data in the file. */
  dataOffset: number;
  size: number;
  /** Target of a symlink or hard link, as written in the archive. */
  linkname: string;
}

/** How many symlinks a lookup follows before it gives up (a loop or a hostile archive). */
const MAX_LINK_HOPS = 16;

/**
 * Entries of an uncompressed tar file by normalised name, made in one
 * sequential pass that reads no data into memory; later entries of the same
 * name win, as when a tar is unpacked. Names that would leave the archive
 * (`..`, absolute) are dropped: they can never be looked up.
 */
export async function indexTar(path: string, options: { signal?: AbortSignal | undefined; where: string }): Promise<Map<string, TarIndexEntry>> {
  const { extract, entries } = indexingExtract();
  try {
    await pipeline(createReadStream(path), extract, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    throw indexError(error, options);
  }
  return entries;
}

/**
 * Writes a tar arriving as a stream (a daemon's `docker save`) to the new file
 * `path` and indexes it in the same pass, so the archive is read once, not
 * written and then read again. On failure the partial file stays for the
 * caller to remove with its directory.
 */
export async function stageTar(source: Readable, path: string, options: { signal?: AbortSignal | undefined; where: string }): Promise<Map<string, TarIndexEntry>> {
  const { extract, entries } = indexingExtract();
  const tee = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      // Both consumers set the pace: the file below, the index here.
      if (extract.write(chunk)) callback(null, chunk);
      else extract.once('drain', () => callback(null, chunk));
    },
    flush(callback) {
      // Done once the extractor has seen the archive's end: a truncated tar fails here, not later.
      finished(extract).then(() => callback(), callback);
      extract.end(() => undefined);
    },
  });
  extract.on('error', (error) => tee.destroy(error));
  let sourceError: Error | undefined;
  source.once('error', (error) => {
    sourceError = error;
  });
  try {
    await pipeline(source, tee, createWriteStream(path, { flags: 'wx' }), options.signal ? { signal: options.signal } : {});
  } catch (error) {
    extract.destroy();
    if (sourceError && !options.signal?.aborted && !(sourceError instanceof FerryError)) {
      throw new FerryError('NETWORK', `${options.where}: the archive stream broke off (${sourceError.message})`, { cause: sourceError, retryable: true });
    }
    throw indexError(sourceError ?? error, options);
  }
  return entries;
}

/** A tar extractor that records where each entry's data lies and reads none of it into memory. */
function indexingExtract(): { extract: tar.Extract; entries: Map<string, TarIndexEntry> } {
  const entries = new Map<string, TarIndexEntry>();
  const extract = tar.extract();
  extract.on('entry', (header, stream, next) => {
    const name = resolveInArchive(header.name);
    // The source's offset is its (last) header block; data follows it.
    if (name !== undefined && header.type !== 'directory') {
      entries.set(name, { name, type: header.type, dataOffset: stream.offset + BLOCK_SIZE, size: header.size, linkname: header.linkname ?? '' });
    }
    stream.on('end', () => next());
    stream.resume();
  });
  return { extract, entries };
}

function indexError(error: unknown, options: { signal?: AbortSignal | undefined; where: string }): FerryError {
  if (options.signal?.aborted) return abortError(options.signal);
  if (error instanceof FerryError) return error;
  return new FerryError('CORRUPT', `${options.where}: not a readable tar archive (${(error as Error).message})`, { cause: error });
}

/**
 * The regular file `name` refers to, following symlinks (relative to the
 * link's directory) and hard links (relative to the archive root) within the
 * archive; undefined when absent or when a link leaves the archive.
 */
export function lookupTarFile(entries: ReadonlyMap<string, TarIndexEntry>, name: string): TarIndexEntry | undefined {
  let current = resolveInArchive(name);
  for (let hop = 0; hop <= MAX_LINK_HOPS && current !== undefined; hop++) {
    const entry = entries.get(current);
    if (!entry) return undefined;
    if (entry.type === 'file' || entry.type === 'contiguous-file') return entry;
    if (entry.type === 'symlink') {
      const dir = current.includes('/') ? current.slice(0, current.lastIndexOf('/')) : '';
      current = resolveInArchive(entry.linkname, dir);
    } else if (entry.type === 'link') {
      current = resolveInArchive(entry.linkname);
    } else {
      return undefined;
    }
  }
  return undefined;
}
