import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { FerryError, abortError } from '../errors.ts';
import { resolveInArchive } from './entry-path.ts';
import { BLOCK_SIZE } from './tar-header.ts';
import { openRegularFileStream } from '../util/regular-file.ts';

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
  const { stream } = await openRegularFileStream(path, { what: 'archive', signal: options.signal });
  try {
    await pipeline(stream, extract, options.signal ? { signal: options.signal } : {});
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

/** The regular file a name refers to, or why there is none (for the message). */
export type TarLookup = { entry: TarIndexEntry } | { missing: 'absent' | 'outside' | 'not-a-file'; why: string };

/**
 * The regular file `name` refers to, following symlinks (relative to the
 * link's directory) and hard links (relative to the archive root) within the
 * archive, or why there is none: it is absent, a link leads out of the
 * archive (or round in circles), or it is a directory or device.
 */
export function findTarFile(entries: ReadonlyMap<string, TarIndexEntry>, name: string): TarLookup {
  let current = resolveInArchive(name);
  if (current === undefined) return { missing: 'outside', why: `"${name}" names a path outside the archive` };
  for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
    const entry: TarIndexEntry | undefined = entries.get(current);
    if (!entry) return { missing: 'absent', why: hop === 0 ? `the archive has no file "${name}"` : `"${name}" is a link to "${current}", which the archive does not have` };
    if (entry.type === 'file' || entry.type === 'contiguous-file') return { entry };
    let next: string | undefined;
    if (entry.type === 'symlink') {
      const dir = current.includes('/') ? current.slice(0, current.lastIndexOf('/')) : '';
      next = resolveInArchive(entry.linkname, dir);
    } else if (entry.type === 'link') {
      next = resolveInArchive(entry.linkname);
    } else {
      return { missing: 'not-a-file', why: `"${current}" is a ${entry.type ?? 'typeless'} entry, not a file` };
    }
    if (next === undefined) {
      return { missing: 'outside', why: `"${current}" is a ${entry.type === 'symlink' ? 'symbolic' : 'hard'} link to "${entry.linkname}", outside the archive` };
    }
    current = next;
  }
  return { missing: 'outside', why: `"${name}": more than ${MAX_LINK_HOPS} links followed (a link loop)` };
}

/** The regular file `name` refers to (see {@link findTarFile}); undefined when there is none. */
export function lookupTarFile(entries: ReadonlyMap<string, TarIndexEntry>, name: string): TarIndexEntry | undefined {
  const found = findTarFile(entries, name);
  return 'entry' in found ? found.entry : undefined;
}
