import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
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
  try {
    await pipeline(createReadStream(path), extract, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (options.signal?.aborted) throw abortError(options.signal);
    throw new FerryError('CORRUPT', `${options.where}: not a readable tar archive (${(error as Error).message})`, { cause: error });
  }
  return entries;
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
