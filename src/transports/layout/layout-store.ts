import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, realpath, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { createDigester, digestAlgorithm, digestHex, parseDigest, type Digest } from '../../oci/digest.ts';
import { ioError, isMissing, writeAll } from './layout-fs.ts';
import { fsyncDir } from '../../util/fsync-dir.ts';
import { isRecord } from '../../util/json.ts';
import { withFileLock } from './layout-lock.ts';
import { LAYOUT_VERSION, emptyLayoutIndex, parseLayoutIndex, serializeLayoutIndex, type LayoutIndex } from './layout-index.ts';
import { TEMP_DIR_NAME } from './layout-temp.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { removeStaleTemps, tempName } from '../../util/temp-name.ts';

/** Default cap of {@link LayoutStore.readBlob}: manifests and configs are small; anything bigger must be streamed. */
export const DEFAULT_READ_LIMIT = 16 * 1024 * 1024;
/** Read size of blob streams: 256 KiB quarters the per-chunk overhead of Node's 64 KiB default at little memory cost. */
export const DEFAULT_READ_CHUNK = 256 * 1024;
const INDEX_FILE = 'index.json';
const LAYOUT_FILE = 'oci-layout';
const LOCK_FILE = 'index.json.lock';

export interface OpenLayoutStoreOptions {
  /** Create the layout when the directory is missing or empty; otherwise a missing layout is NOT_FOUND. */
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

  constructor(dir: string, realDir: string, fsync: boolean) {
    this.dir = dir;
    this.realDir = realDir;
    this.tempDir = join(realDir, TEMP_DIR_NAME);
    this.fsync = fsync;
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
    throwIfAborted(options.signal);
    let fh: FileHandle;
    try {
      fh = await open(this.blobPath(digest), 'r');
    } catch (error) {
      if (isMissing(error)) throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
      throw ioError(`cannot open blob ${digest} in ${this.dir}`, error);
    }
    return createReadStream('', { fd: fh, start: options.start, end: options.end, autoClose: true, signal: options.signal, highWaterMark: options.highWaterMark ?? DEFAULT_READ_CHUNK });
  }

  /** Reads a small blob (manifest, config) into memory; refuses blobs over `maxBytes`. */
  async readBlob(digest: Digest, options: { maxBytes?: number | undefined; signal?: AbortSignal | undefined } = {}): Promise<Uint8Array> {
    const max = options.maxBytes ?? DEFAULT_READ_LIMIT;
    const size = await this.blobSize(digest);
    if (size === undefined) throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
    if (size > max) throw new FerryError('INVALID_MANIFEST', `blob ${digest} in oci:${this.dir} is ${size} bytes, over the ${max}-byte limit for reading into memory`);
    try {
      return new Uint8Array(await readFile(this.blobPath(digest), { signal: options.signal }));
    } catch (error) {
      if (isMissing(error)) throw new FerryError('NOT_FOUND', `blob ${digest} not found in oci:${this.dir}`);
      throw ioError(`cannot read blob ${digest} in ${this.dir}`, error);
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
    await this.#ensureDir(this.tempDir);
    return join(this.tempDir, tempName('', suffix));
  }

  /**
   * Moves a temp file whose content the caller has verified to hash to
   * `digest` into place. When the blob already exists the temp file is dropped.
   */
  async commitTempBlob(tmpPath: string, digest: Digest): Promise<WriteBlobResult> {
    const dest = this.blobPath(digest);
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
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return emptyLayoutIndex();
      throw ioError(`cannot open ${path}`, error);
    }
    try {
      const st = await fh.stat({ bigint: true });
      const key = `${st.ino}:${st.mtimeNs}:${st.size}`;
      if (this.#indexCache?.key === key) return this.#indexCache.index;
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
   */
  async updateIndex(mutate: (entries: Descriptor[]) => Descriptor[] | undefined | Promise<Descriptor[] | undefined>, options: { signal?: AbortSignal | undefined } = {}): Promise<readonly Descriptor[]> {
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

  async #ensureDir(dir: string): Promise<void> {
    if (this.#knownDirs.has(dir)) return;
    await mkdir(dir, { recursive: true });
    this.#knownDirs.add(dir);
  }

  /** @internal Creates a layout in an empty directory, under the lock so two creators cannot clobber each other. */
  async initialize(options: { signal?: AbortSignal | undefined }): Promise<void> {
    await withFileLock(join(this.realDir, LOCK_FILE), async () => {
      if (await readLayoutVersion(this.realDir)) return;
      const names = (await readdir(this.realDir)).filter((n) => n !== TEMP_DIR_NAME && !n.startsWith(LOCK_FILE));
      if (names.length > 0) {
        throw new FerryError('INVALID_CONFIG', `${this.dir} is not empty and is not an OCI layout (no oci-layout file)`, {
          hint: 'point ferry at an empty or missing directory, or at an existing OCI layout',
        });
      }
      await mkdir(join(this.realDir, 'blobs', 'sha256'), { recursive: true });
      await this.#writeIndex(emptyLayoutIndex());
      // Written last: its presence marks a complete layout.
      await this.#writeFile(LAYOUT_FILE, JSON.stringify({ imageLayoutVersion: LAYOUT_VERSION }));
    }, options);
  }
}

/**
 * Opens (or with `create`, creates) the OCI layout at `dir`, removing temp
 * files left behind by dead processes. An empty or missing directory becomes a
 * new layout; a non-empty directory without `oci-layout` is refused.
 */
export async function openLayoutStore(dir: string, options: OpenLayoutStoreOptions): Promise<LayoutStore> {
  throwIfAborted(options.signal);
  const abs = resolve(dir);
  try {
    const st = await stat(abs);
    if (!st.isDirectory()) throw new FerryError('INVALID_CONFIG', `${abs} is not a directory, so it cannot be an OCI layout`);
  } catch (error) {
    if (!isMissing(error)) throw error instanceof FerryError ? error : ioError(`cannot access ${abs}`, error);
    if (!options.create) throw new FerryError('NOT_FOUND', `OCI layout ${abs} does not exist`);
    await mkdir(abs, { recursive: true });
  }
  const store = new LayoutStore(abs, await realpath(abs), options.fsync ?? true);
  if (!(await readLayoutVersion(store.realDir))) {
    if (!options.create) throw new FerryError('NOT_FOUND', `${abs} is not an OCI layout (no oci-layout file)`);
    await store.initialize(options);
  }
  // Best effort: a read-only mount can still be read.
  await removeStaleTemps(store.tempDir).catch(() => 0);
  await removeStaleTemps(store.realDir, { prefix: LOCK_FILE }).catch(() => 0);
  return store;
}

async function readLayoutVersion(dir: string): Promise<string | undefined> {
  const path = join(dir, LAYOUT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw ioError(`cannot read ${path}`, error);
  }
  let version: unknown;
  try {
    const json: unknown = JSON.parse(text);
    version = isRecord(json) ? json['imageLayoutVersion'] : undefined;
  } catch {
    version = undefined;
  }
  if (typeof version !== 'string' || !version.startsWith('1.')) {
    throw new FerryError('CORRUPT', `${path}: expected {"imageLayoutVersion": "1.x"}`);
  }
  return version;
}
