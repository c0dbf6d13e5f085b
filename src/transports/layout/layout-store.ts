import { mkdir, open, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { createDigester, digestAlgorithm, digestHex, parseDigest, type Digest } from '../../oci/digest.ts';
import { ioError, isMissing, writeAll } from './layout-fs.ts';
import { fsyncDir } from '../../util/fsync-dir.ts';
import { isRecord } from '../../util/json.ts';
import { withFileLock } from '../../util/file-lock.ts';
import { LAYOUT_VERSION, emptyLayoutIndex, parseLayoutIndex, serializeLayoutIndex, type LayoutIndex } from './layout-index.ts';
import { TEMP_DIR_NAME } from './layout-temp.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { removeStaleTemps, tempName } from '../../util/temp-name.ts';
import { openRegularFile, openRegularFileStream, readSmallFile, readSmallFileIfPresent } from '../../util/regular-file.ts';

/** Default cap of {@link LayoutStore.readBlob}: manifests and configs are small; anything bigger must be streamed. */
export const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;
/** Read size of blob streams: 256 KiB quarters the per-chunk overhead of Node's 64 KiB default at little memory cost. */
export const DEFAULT_READ_CHUNK = 256 * 1024;
/** index.json holds a few hundred bytes per image: room for some 200,000 images, and a bound on what a damaged file costs. */
export const MAX_INDEX_BYTES = 64 * 1024 * 1024;
/** `oci-layout` is one short JSON object. */
export const MAX_LAYOUT_FILE_BYTES = 64 * 1024;
const INDEX_FILE = 'index.json';
const LAYOUT_FILE = 'oci-layout';
const LOCK_FILE = 'index.json.lock';

export interface OpenLayoutStoreOptions {
  /**
   * Accept a missing or empty directory as a layout to be: it reads as empty
   * and is created on the first write (a blob, an index change), so a run
   * that fails before writing leaves nothing behind. Without it a missing
   * layout is NOT_FOUND.
   */
  create: boolean;
  /** fsync blobs and index writes before they become visible (default true): a crash never leaves a torn file. */
  fsync?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface WriteBlobOptions {
  signal?: AbortSignal | undefined;
  /** Called with the size of each chunk as it is written. */
  onBytes?: ((bytes: number) => void) | undefined;
}

export interface OpenBlobOptions {
  /** First byte to read (inclusive). */
  start?: number | undefined;
  /** Last byte to read (inclusive), as in HTTP ranges. */
  end?: number | undefined;
  /** Read size; larger chunks mean fewer syscalls and callbacks when serving big blobs. */
  highWaterMark?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** Whether a write stored new bytes or found the blob already present. */
export type WriteBlobResult = 'written' | 'exists';

/**
 * An OCI image layout shared by many images and repositories: `oci-layout`,
 * `index.json` and content-addressed `blobs/<alg>/<hex>`. Blobs become visible
 * only after their digest and size are verified (temp file + rename); the
 * index is changed read-modify-write under a lock that holds across processes,
 * so concurrent writers never lose entries.
 */
export class LayoutStore {
  /** The layout directory as given (absolute). */
  readonly dir: string;
  /** The layout directory with symlinks resolved: its identity. */
  readonly realDir: string;
  /** Where temp files are staged; same file system as the blobs, so rename is atomic. */
  readonly tempDir: string;
  readonly fsync: boolean;
  #indexCache: { key: string; index: LayoutIndex } | undefined;
  #knownDirs = new Set<string>();
  /** Settles once the layout exists on disk; undefined while it is still to be created. */
  #created: Promise<void> | undefined;

  /** `exists`: whether the layout is on disk already (else the first write creates it). */
  constructor(dir: string, realDir: string, fsync: boolean, exists = true) {
    this.dir = dir;
    this.realDir = realDir;
    this.tempDir = join(realDir, TEMP_DIR_NAME);
    this.fsync = fsync;
    if (exists) this.#created = Promise.resolve();
  }

  /** Path of a blob file (the digest is validated). */
  blobPath(digest: Digest): string {
    const d = parseDigest(digest, 'blob digest');
    return join(this.realDir, 'blobs', digestAlgorithm(d), digestHex(d));
  }

  /** Size of a stored blob, or undefined when absent. */
  async blobSize(digest: Digest): Promise<number | undefined> {
    try {
      const st = await stat(this.blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw ioError(`cannot stat blob ${digest} in ${this.dir}`, error);
    }
  }

  async hasBlob(digest: Digest): Promise<boolean> {
    return (await this.blobSize(digest)) !== undefined;
  }

  /** Streams a blob (optionally a byte range). Throws NOT_FOUND when absent. Does not verify: the reader hashes. */
  async openBlob(digest: Digest, options: OpenBlobOptions = {}): Promise<Readable> {
    try {
      const { stream } = await openRegularFileStream(this.blobPath(digest), {
        what: 'blob', code: 'CORRUPT', start: options.start, end: options.end, signal: options.signal, highWaterMark: options.highWaterMark ?? DEFAULT_READ_CHUNK,
      });
      return stream;
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
      throw error;
    }
  }

  /** Reads a small blob (manifest, config) into memory; refuses blobs over `maxBytes`. */
  async readBlob(digest: Digest, options: { maxBytes?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<Uint8Array> {
    const max = options.maxBytes ?? DEFAULT_READ_LIMIT;
    const size = await this.blobSize(digest);
    if (size === undefined) throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
    if (size > max) throw new FerryError('INVALID_MANIFEST', `blob ${digest} in oci:${this.dir} is ${size} bytes, over the ${max}-byte limit for reading into memory`);
    try {
      return new Uint8Array(await readSmallFile(this.blobPath(digest), { what: 'blob', maxBytes: max, code: 'INVALID_MANIFEST', signal: options.signal }));
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
      throw error;
    }
  }

  /**
   * Streams `data` into the store, hashing and counting on the way; the blob
   * becomes visible (rename) only when digest and size match. On mismatch the
   * temp file is deleted and DIGEST_MISMATCH / SIZE_MISMATCH is thrown.
   * Concurrent writers of the same blob are safe: the content is identical.
   */
  async writeBlob(data: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>, expected: { digest: Digest; size?: number | undefined }, options: WriteBlobOptions = {}): Promise<WriteBlobResult> {
    const digest = parseDigest(expected.digest, 'blob digest');
    throwIfAborted(options.signal);
    const hasher = createDigester(digestAlgorithm(digest));
    const tmp = await this.tempPath();
    const fh = await open(tmp, 'wx');
    let closed = false;
    let committed = false;
    const onAbort = (): void => {
      (data as Partial<Readable>).destroy?.(abortError(options.signal));
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      let size = 0;
      for await (const chunk of data) {
        throwIfAborted(options.signal);
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        size += buf.byteLength;
        if (expected.size !== undefined && size > expected.size) {
          throw new FerryError('SIZE_MISMATCH', `blob ${digest}: received more than the expected ${expected.size} bytes`);
        }
        hasher.update(buf);
        await writeAll(fh, buf);
        options.onBytes?.(buf.byteLength);
      }
      if (expected.size !== undefined && size !== expected.size) {
        throw new FerryError('SIZE_MISMATCH', `blob ${digest}: received ${size} bytes, expected ${expected.size}`);
      }
      const actual = `${digestAlgorithm(digest)}:${hasher.digest('hex')}`;
      if (actual !== digest) throw new FerryError('DIGEST_MISMATCH', `blob content hashes to ${actual}, expected ${digest}`);
      if (this.fsync) await fh.sync();
      await fh.close();
      closed = true;
      const result = await this.commitTempBlob(tmp, digest);
      committed = true;
      return result;
    } catch (error) {
      if (options.signal?.aborted && !(error instanceof FerryError)) throw abortError(options.signal);
      throw error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (!closed) await fh.close().catch(() => undefined);
      if (!committed) await rm(tmp, { force: true });
    }
  }

  /** Stores bytes held in memory (manifests, configs) under their digest, verified. */
  async writeBlobBytes(bytes: Uint8Array, digest: Digest, options: WriteBlobOptions = {}): Promise<WriteBlobResult> {
    return this.writeBlob([bytes], { digest, size: bytes.byteLength }, options);
  }

  /** A new temp file path in {@link tempDir} for a caller that writes and verifies itself (server uploads). */
  async tempPath(suffix = ''): Promise<string> {
    await this.#ensureCreated();
    await this.#ensureDir(this.tempDir);
    return join(this.tempDir, tempName('', suffix));
  }

  /**
   * Moves a temp file whose content the caller has verified to hash to
   * `digest` into place. When the blob already exists the temp file is dropped.
   */
  async commitTempBlob(tmpPath: string, digest: Digest): Promise<WriteBlobResult> {
    const dest = this.blobPath(digest);
    await this.#ensureCreated();
    if ((await this.blobSize(digest)) !== undefined) {
      await rm(tmpPath, { force: true });
      return 'exists';
    }
    await this.#ensureDir(dirname(dest));
    await rename(tmpPath, dest);
    if (this.fsync) await fsyncDir(dirname(dest));
    return 'written';
  }

  /** Deletes a blob; false when it was absent. Callers decide whether it is still referenced (see layout-gc). */
  async deleteBlob(digest: Digest): Promise<boolean> {
    try {
      await unlink(this.blobPath(digest));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw ioError(`cannot delete blob ${digest} in ${this.dir}`, error);
    }
  }

  /** Every blob digest present, for garbage collection and checks. */
  async listBlobs(): Promise<Digest[]> {
    const out: Digest[] = [];
    const root = join(this.realDir, 'blobs');
    for (const alg of await readdir(root).catch(() => [] as string[])) {
      for (const hex of await readdir(join(root, alg)).catch(() => [] as string[])) out.push(`${alg}:${hex}`);
    }
    return out;
  }

  /** The current index.json (cached while the file is unchanged). Treat it as read-only. */
  async readIndex(): Promise<LayoutIndex> {
    const path = join(this.realDir, INDEX_FILE);
    // While the file is unchanged the cache answers after one stat, without opening it (a run asks per image, often per request).
    const cached = this.#indexCache;
    if (cached !== undefined) {
      const st = await stat(path, { bigint: true }).catch(() => undefined);
      if (st?.isFile() && indexKey(st) === cached.key) return cached.index;
    }
    let opened;
    try {
      opened = await openRegularFile(path, { what: 'layout index', code: 'CORRUPT' });
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') return emptyLayoutIndex();
      throw error;
    }
    const fh = opened.handle;
    try {
      const key = indexKey(await fh.stat({ bigint: true }));
      if (this.#indexCache?.key === key) return this.#indexCache.index;
      if (opened.size > MAX_INDEX_BYTES) throw new FerryError('CORRUPT', `${path} is ${opened.size} bytes, over the ${MAX_INDEX_BYTES}-byte limit for a layout index`);
      const index = parseLayoutIndex(await fh.readFile('utf8'), path);
      this.#indexCache = { key, index };
      return index;
    } finally {
      await fh.close();
    }
  }

  /** The index.json entries (one per named or recorded manifest). Treat them as read-only. */
  async listEntries(): Promise<readonly Descriptor[]> {
    return (await this.readIndex()).manifests;
  }

  /**
   * Read-modify-write of index.json under the layout lock. `mutate` gets a
   * private copy of the entries and returns the new list, or undefined for
   * "no change". The file is replaced atomically (temp + rename). `mutate`
   * may be async: checks it makes (a blob still present, still unreferenced)
   * hold until the index is written, against every writer that takes this lock.
   * On a layout not yet created, `mutate` is first asked about an empty index
   * without the lock: the layout is created only when it has something to
   * write, and `mutate` then runs again, under the lock.
   */
  async updateIndex(mutate: (entries: Descriptor[]) => Descriptor[] | undefined | Promise<Descriptor[] | undefined>, options: { signal?: AbortSignal | undefined } = {}): Promise<readonly Descriptor[]> {
    if (!(await this.#exists())) {
      if ((await mutate([])) === undefined) return [];
      await this.#ensureCreated();
    }
    return withFileLock(join(this.realDir, LOCK_FILE), async () => {
      const current = await this.readIndex();
      const next = await mutate(structuredClone(current.manifests));
      if (next === undefined) return current.manifests;
      await this.#writeIndex({ ...current, manifests: next });
      return next;
    }, options);
  }

  async #writeIndex(index: LayoutIndex): Promise<void> {
    await this.#writeFile(INDEX_FILE, serializeLayoutIndex(index));
  }

  /** Replaces a file of the layout's root atomically, staged in the temp dir so a crash leaves nothing in the root. */
  async #writeFile(name: string, text: string): Promise<void> {
    await this.#ensureDir(this.tempDir);
    await writeFileAtomic(join(this.realDir, name), text, { fsync: this.fsync, tempDir: this.tempDir });
  }

  /** Whether the layout is on disk (another process may have created it since it was opened). */
  async #exists(): Promise<boolean> {
    if (this.#created) return true;
    if (!(await readLayoutVersion(this.realDir))) return false;
    this.#created = Promise.resolve();
    return true;
  }

  /** Creates the layout on first need; concurrent writers of this process wait for the one creation. */
  async #ensureCreated(): Promise<void> {
    this.#created ??= (async () => {
      await mkdir(this.realDir, { recursive: true });
      await this.initialize({});
    })();
    try {
      await this.#created;
    } catch (error) {
      this.#created = undefined;
      if (error instanceof FerryError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new FerryError('IO', `cannot create the OCI layout directory ${this.dir}: ${code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message}`, {
        cause: error,
        hint: 'choose a directory you can write to, or create it (writable for this user) first',
      });
    }
  }

  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#knownDirs.add(dir);
  }

  /** @internal Creates a layout in an empty directory, under the lock so two creators cannot clobber each other. */
  async initialize(options: { signal?: AbortSignal | undefined }): Promise<void> {
    await withFileLock(join(this.realDir, LOCK_FILE), async () => {
      if (await readLayoutVersion(this.realDir)) return;
      await refuseNonEmpty(this.dir, this.realDir);
      await mkdir(join(this.realDir, 'blobs', 'sha256'), { recursive: true });
      await this.#writeIndex(emptyLayoutIndex());
      // Written last: its presence marks a complete layout.
      await this.#writeFile(LAYOUT_FILE, JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
    }, options);
  }
}

/**
 * Opens the OCI layout at `dir`, removing temp files left behind by dead
 * processes. With `create`, a missing or empty directory is a layout still to
 * be created (see {@link OpenLayoutStoreOptions.create}); a non-empty
 * directory without `oci-layout` is refused either way.
 */
export async function openLayoutStore(dir: string, options: OpenLayoutStoreOptions): Promise<LayoutStore> {
  throwIfAborted(options.signal);
  const abs = resolve(dir);
  let exists = true;
  try {
    const st = await stat(abs);
    if (!st.isDirectory()) throw new FerryError('INVALID_CONFIG', `${abs} is not a directory, so it cannot be an OCI layout`, { hint: 'name a directory (an OCI layout, or a new or empty one), not a file' });
  } catch (error) {
    if (!isMissing(error)) throw error instanceof FerryError ? error : ioError(`cannot access ${abs}`, error);
    if (!options.create) throw new FerryError('NOT_FOUND', `OCI layout ${abs} does not exist`);
    exists = false;
  }
  const realDir = exists ? await realpath(abs) : await realPathToBe(abs);
  const layout = exists && (await readLayoutVersion(realDir)) !== undefined;
  if (exists && !layout) {
    if (!options.create) throw new FerryError('NOT_FOUND', `${abs} is not an OCI layout (no oci-layout file)`);
    await refuseNonEmpty(abs, realDir);
  }
  const store = new LayoutStore(abs, realDir, options.fsync ?? true, layout);
  if (layout) {
    // Best effort: a read-only mount can still be read.
    await removeStaleTemps(store.tempDir).catch(() => 0);
    await removeStaleTemps(store.realDir, { prefix: LOCK_FILE }).catch(() => 0);
  }
  return store;
}

/** Refuses a directory that holds anything but ferry's own leftovers (temp dir, lock): it is not a layout, and not ours to fill. */
async function refuseNonEmpty(dir: string, realDir: string): Promise<void> {
  const names = (await readdir(realDir)).filter((n) => n !== TEMP_DIR_NAME && !n.startsWith(LOCK_FILE));
  if (names.length > 0) {
    throw new FerryError('INVALID_CONFIG', `${dir} is not empty and is not an OCI layout (no oci-layout file)`, {
      hint: 'point ferry at an empty or missing directory, or at an existing OCI layout',
    });
  }
}

/** The real path a missing directory will have: its nearest existing ancestor's real path, plus the rest. */
async function realPathToBe(abs: string): Promise<string> {
  const parent = dirname(abs);
  if (parent === abs) return abs;
  try {
    return join(await realpath(parent), basename(abs));
  } catch (error) {
    if (!isMissing(error)) throw ioError(`cannot access ${parent}`, error);
    return join(await realPathToBe(parent), basename(abs));
  }
}

async function readLayoutVersion(dir: string): Promise<string | undefined> {
  const path = join(dir, LAYOUT_FILE);
  const bytes = await readSmallFileIfPresent(path, { what: 'layout marker', maxBytes: MAX_LAYOUT_FILE_BYTES, code: 'CORRUPT' });
  if (bytes === undefined) return undefined;
  let version: unknown;
  try {
    const json: unknown = JSON.parse(bytes.toString('utf8'));
    version = isRecord(json) ? json['imageLayoutVersion'] : undefined;
  } catch {
    version = undefined;
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new FerryError('CORRUPT', `${path}: expected {"imageLayoutVersion": "1.x"}`);
  }
  return version;
}

/** What tells one version of index.json from another for the cache: inode (a rename replaces it), modification time, size. */
function indexKey(st: { ino: bigint; mtimeNs: bigint; size: bigint }): string {
  return `${st.ino}:${st.mtimeNs}:${st.size}`;
}
