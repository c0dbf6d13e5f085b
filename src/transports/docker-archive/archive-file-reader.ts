import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import { decompressor, expansionLimit, findTarFile, indexTar, sniffFile, stageTar, type TarIndexEntry } from '../../tar/index.ts';
import { openRegularFileStream } from '../../util/regular-file.ts';
import { parseArchiveManifest, type ArchiveImageEntry } from './archive-manifest.ts';

/** manifest.json and configs are small; anything larger is not a docker-archive we should trust into memory. */
const MAX_SMALL_FILE = 16 * 1024 * 1024;

/**
 * Random access to the files of a `docker save` tar: one pass indexes where
 * each entry's data lies, then files are read in place. A compressed archive
 * (gzip, zstd) is first decompressed to a temp file under os.tmpdir(),
 * removed on {@link close}.
 */
export class ArchiveFileReader {
  readonly where: string;
  /** The uncompressed tar actually read (the archive itself, or the temp copy). */
  readonly tarPath: string;
  readonly images: readonly ArchiveImageEntry[];
  readonly #entries: Map<string, TarIndexEntry>;
  readonly #tempDir: string | undefined;

  private constructor(where: string, tarPath: string, entries: Map<string, TarIndexEntry>, images: ArchiveImageEntry[], tempDir: string | undefined) {
    this.where = where;
    this.tarPath = tarPath;
    this.#entries = entries;
    this.images = images;
    this.#tempDir = tempDir;
  }

  static async open(path: string, options: { where: string; signal?: AbortSignal | undefined }): Promise<ArchiveFileReader> {
    const { where, signal } = options;
    throwIfAborted(signal);
    let compression;
    try {
      compression = await sniffFile(path);
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') throw new FerryError('NOT_FOUND', `${where}: ${path} does not exist`);
      throw error;
    }
    let tarPath = path;
    let tempDir: string | undefined;
    try {
      const unzip = decompressor(compression);
      if (unzip) {
        tempDir = await mkdtemp(join(tmpdir(), 'ferry-docker-archive-'));
        tarPath = join(tempDir, 'archive.tar');
        try {
          const { stream, size } = await openRegularFileStream(path, { what: 'archive', signal });
          await pipeline(stream, unzip, expansionLimit(size, where), createWriteStream(tarPath, { flags: 'wx' }), signal ? { signal } : {});
        } catch (error) {
          if (signal?.aborted) throw abortError(signal);
          if (error instanceof FerryError) throw error;
          throw new FerryError('CORRUPT', `${where}: cannot decompress the ${compression} archive (${(error as Error).message})`, { cause: error });
        }
      }
      return await ArchiveFileReader.#withManifest(where, tarPath, await indexTar(tarPath, { where, signal }), tempDir);
    } catch (error) {
      if (tempDir) await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Reads a `docker save` tar that arrives as a stream (a daemon's export):
   * it is written to a temp file under os.tmpdir() and indexed in the same
   * pass, then read in place like a file; {@link close} removes it. The
   * stream must be an uncompressed tar, as daemons send it.
   */
  static async fromStream(source: Readable, options: { where: string; signal?: AbortSignal | undefined }): Promise<ArchiveFileReader> {
    const { where, signal } = options;
    throwIfAborted(signal);
    const tempDir = await mkdtemp(join(tmpdir(), 'ferry-docker-archive-'));
    try {
      const tarPath = join(tempDir, 'archive.tar');
      return await ArchiveFileReader.#withManifest(where, tarPath, await stageTar(source, tarPath, { where, signal }), tempDir);
    } catch (error) {
      source.destroy();
      await rm(tempDir, { recursive: true, force: true });
      throw error;
    }
  }

  static async #withManifest(where: string, tarPath: string, entries: Map<string, TarIndexEntry>, tempDir: string | undefined): Promise<ArchiveFileReader> {
    const reader = new ArchiveFileReader(where, tarPath, entries, [], tempDir);
    const manifest = await reader.readSmallFile('manifest.json');
    return new ArchiveFileReader(where, tarPath, entries, parseArchiveManifest(manifest, where), tempDir);
  }

  /**
   * The regular file at `name` (symlinks and hard links followed within the
   * archive); NOT_FOUND when the archive has none, CORRUPT when a link leads
   * out of the archive or `name` is not a file.
   */
  file(name: string): TarIndexEntry {
    const found = findTarFile(this.#entries, name);
    if ('entry' in found) return found.entry;
    if (found.missing === 'absent') throw new FerryError('NOT_FOUND', `${this.where}: ${found.why}`, { hint: 'the archive is incomplete or not a docker save tar' });
    throw new FerryError('CORRUPT', `${this.where}: ${found.why}`, { hint: 'the archive is damaged or crafted to read files outside it; nothing outside it was read' });
  }

  /** Reads a small file (manifest.json, a config) into memory. */
  async readSmallFile(name: string): Promise<Buffer> {
    const entry = this.file(name);
    if (entry.size > MAX_SMALL_FILE) {
      throw new FerryError('INVALID_MANIFEST', `${this.where}: "${name}" is ${entry.size} bytes, over the ${MAX_SMALL_FILE}-byte limit for metadata`);
    }
    const fh = await open(this.tarPath, 'r');
    try {
      const buf = Buffer.alloc(entry.size);
      const { bytesRead } = await fh.read(buf, 0, entry.size, entry.dataOffset);
      if (bytesRead !== entry.size) throw new FerryError('CORRUPT', `${this.where}: "${name}" is truncated`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /** Streams the stored bytes of a file entry. */
  openEntry(entry: TarIndexEntry, signal?: AbortSignal): Readable {
    if (entry.size === 0) return Readable.from([]);
    return createReadStream(this.tarPath, { start: entry.dataOffset, end: entry.dataOffset + entry.size - 1, ...(signal ? { signal } : {}) });
  }

  /** Removes the decompressed temp copy, if any. */
  async close(): Promise<void> {
    if (this.#tempDir) await rm(this.#tempDir, { recursive: true, force: true });
  }
}
