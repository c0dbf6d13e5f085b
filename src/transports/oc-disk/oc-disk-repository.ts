import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readdir, readlink, rename, rm, stat, symlink } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, manifestMediaTypeOf, parseManifest, type RawManifest } from '../../oci/manifest.ts';
import { verifyingStream } from '../../oci/verify-stream.ts';
import type { BlobPutResult, CallOptions, Capabilities, ManifestPutOptions, Repository } from '../../repository/repository.ts';
import { fsyncDir } from '../../util/fsync-dir.ts';
import { removeStaleTemps, tempName } from '../../util/temp-name.ts';
import { BLOBS_DIR, MANIFESTS_DIR, digestFileName, manifestFileName, repositoryDir } from './oc-disk-format.ts';

export const OC_DISK_CAPABILITIES: Capabilities = Object.freeze({
  manifestTypes: 'any',
  indexes: true,
  // Local disk, as a layout: more parallel writers only add seeks.
  maxConcurrentBlobWrites: 8,
  // A blob of another repository under the same DIR is hard-linked, as oc mounts.
  crossRepoMount: true,
  blobsBeforeManifest: true,
  preservesDigests: true,
});

export interface OcDiskRepositoryOptions {
  /** fsync files and folders before they become visible (default true). */
  fsync?: boolean | undefined;
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * One repository of oc's disk format (see oc-disk-format.ts). Every file
 * becomes visible by a rename from a temp name in the repository's folder
 * (never in `manifests/`, where oc would take a leftover symlink for a tag):
 * blobs once their digest and size are verified, a manifest's blob file
 * before its `manifests/` link, the tag symlink last.
 */
export class OcDiskRepository implements Repository {
  readonly display: string;
  readonly storageId: string;
  readonly repository: string;
  readonly capabilities = OC_DISK_CAPABILITIES;
  readonly root: string;
  readonly #dir: string;
  readonly #fsync: boolean;

  constructor(root: string, repository: string, options: OcDiskRepositoryOptions = {}) {
    this.root = resolve(root);
    this.repository = repository;
    this.display = `oc-disk:${root}:${repository}`;
    this.storageId = `oc-disk:${this.root}`;
    this.#dir = repositoryDir(this.root, repository);
    this.#fsync = options.fsync ?? true;
  }

  #blobPath(digest: Digest, repository = this.repository): string {
    return join(repositoryDir(this.root, repository), BLOBS_DIR, digestFileName(digest));
  }

  #manifestPath(reference: string): string {
    return join(this.#dir, MANIFESTS_DIR, manifestFileName(reference));
  }

  /** Removes what interrupted writers of this process's kind left in the repository folder. */
  async removeStaleTemps(): Promise<void> {
    await removeStaleTemps(this.#dir).catch((error: unknown) => {
      if (!isMissing(error)) throw error;
    });
  }

  async blobHead(digest: Digest): Promise<number | undefined> {
    try {
      const st = await stat(this.#blobPath(digest));
      return st.isFile() ? st.size : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#io(`cannot read blob ${digest}`, error);
    }
  }

  async blobGet(descriptor: Descriptor, options: CallOptions = {}): Promise<Readable> {
    throwIfAborted(options.signal);
    try {
      const fh = await open(this.#blobPath(descriptor.digest), 'r');
      return createReadStream('', { fd: fh, signal: options.signal });
    } catch (error) {
      if (isMissing(error)) throw new FerryError('NOT_FOUND', `${this.display}: blob ${descriptor.digest} not found`);
      throw this.#io(`cannot open blob ${descriptor.digest}`, error);
    }
  }

  async blobPut(descriptor: Descriptor, data: Readable, options: CallOptions = {}): Promise<BlobPutResult> {
    const path = this.#blobPath(descriptor.digest);
    if ((await this.blobHead(descriptor.digest)) === descriptor.size) {
      data.destroy();
      return 'exists';
    }
    const tmp = await this.#tempPath();
    try {
      await pipeline(
        data,
        verifyingStream(descriptor, { where: `${this.display}: blob ${descriptor.digest}` }),
        createWriteStream(tmp, { flags: 'wx', flush: this.#fsync }),
        options.signal ? { signal: options.signal } : {},
      );
      await this.#publish(tmp, path);
      return 'uploaded';
    } catch (error) {
      await rm(tmp, { force: true });
      if (options.signal?.aborted && !(error instanceof FerryError)) throw abortError(options.signal);
      if (error instanceof FerryError) throw error;
      throw this.#io(`cannot write blob ${descriptor.digest}`, error);
    }
  }

  async blobMount(descriptor: Descriptor, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    throwIfAborted(options.signal);
    const from = this.#blobPath(descriptor.digest, fromRepository);
    const size = await stat(from).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
    if (size !== descriptor.size) return false;
    const tmp = await this.#tempPath();
    try {
      await link(from, tmp);
      await this.#publish(tmp, this.#blobPath(descriptor.digest));
      return true;
    } catch {
      // Another file system under the same DIR: the caller copies instead.
      await rm(tmp, { force: true });
      return false;
    }
  }

  /** The digest a tag's symlink or a digest reference names, or undefined when absent. */
  async #resolve(reference: string): Promise<Digest | undefined> {
    const path = this.#manifestPath(reference);
    let st;
    try {
      st = await lstat(path);
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#io(`cannot read manifest ${reference}`, error);
    }
    if (isDigest(reference)) {
      if (!st.isFile()) throw new FerryError('CORRUPT', `${this.display}: manifests/${reference} is not a regular file`);
      return reference;
    }
    if (!st.isSymbolicLink()) throw new FerryError('CORRUPT', `${this.display}: tag ${reference} is not a symlink to a manifest digest`);
    const target = basename(await readlink(path));
    if (!isDigest(target)) throw new FerryError('CORRUPT', `${this.display}: tag ${reference} points at "${target}", not a manifest digest`);
    return target;
  }

  async #read(reference: string, options: CallOptions): Promise<RawManifest | undefined> {
    throwIfAborted(options.signal);
    const digest = await this.#resolve(reference);
    if (digest === undefined) return undefined;
    const path = this.#manifestPath(digest);
    let fh;
    try {
      fh = await open(path, 'r');
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw this.#io(`cannot read manifest ${digest}`, error);
    }
    try {
      const { size } = await fh.stat();
      if (size > MAX_MANIFEST_BYTES) throw new FerryError('INVALID_MANIFEST', `${this.display}: manifest ${digest} is ${size} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
      const bytes = new Uint8Array(await fh.readFile({ signal: options.signal }));
      const actual = digestOf(bytes, digestAlgorithm(digest));
      if (actual !== digest) throw new FerryError('DIGEST_MISMATCH', `${this.display}: manifests/${digest} hashes to ${actual}`, { hint: 'the directory is damaged; mirror this image again' });
      return { bytes, digest, mediaType: manifestMediaTypeOf(bytes, `${this.display}@${digest}`) };
    } finally {
      await fh.close();
    }
  }

  async manifestHead(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const raw = await this.#read(reference, options);
    return raw && { mediaType: raw.mediaType, digest: raw.digest, size: raw.bytes.byteLength };
  }

  async manifestGet(reference: string, options: CallOptions = {}): Promise<RawManifest> {
    const raw = await this.#read(reference, options);
    if (!raw) throw new FerryError('NOT_FOUND', `${this.display}: manifest ${reference} not found`);
    return raw;
  }

  async manifestPut(reference: string, manifest: RawManifest, options: ManifestPutOptions = {}): Promise<void> {
    throwIfAborted(options.signal);
    const actual = digestOf(manifest.bytes, digestAlgorithm(manifest.digest));
    if (actual !== manifest.digest || (isDigest(reference) && reference !== manifest.digest)) {
      throw new FerryError('DIGEST_MISMATCH', `${this.display}: manifest for ${reference} hashes to ${actual}, not ${isDigest(reference) ? reference : manifest.digest}`);
    }
    parseManifest(manifest.bytes, manifest.mediaType, `${this.display}@${manifest.digest}`);
    const tagFile = isDigest(reference) ? undefined : this.#manifestPath(reference);
    try {
      const stored = await lstat(this.#manifestPath(manifest.digest)).then((st) => st.isFile(), () => false);
      if (!stored) await this.#writeManifest(manifest);
      if (tagFile !== undefined) {
        const tag = await this.#tempPath();
        await symlink(digestFileName(manifest.digest), tag);
        await this.#publish(tag, tagFile);
      }
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw this.#io(`cannot write manifest ${reference}`, error);
    }
  }

  /** The manifest's bytes as a blob file, then its hard link under manifests/ (what oc reads by digest). */
  async #writeManifest(manifest: RawManifest): Promise<void> {
    const blob = this.#blobPath(manifest.digest);
    const tmp = await this.#tempPath();
    await open(tmp, 'wx').then(async (fh) => {
      try {
        await fh.writeFile(manifest.bytes);
        if (this.#fsync) await fh.sync();
      } finally {
        await fh.close();
      }
    });
    await this.#publish(tmp, blob);
    const byDigest = await this.#tempPath();
    await link(blob, byDigest);
    await this.#publish(byDigest, this.#manifestPath(manifest.digest));
  }

  async tagList(options: CallOptions = {}): Promise<string[]> {
    throwIfAborted(options.signal);
    try {
      const entries = await readdir(join(this.#dir, MANIFESTS_DIR), { withFileTypes: true });
      return entries.filter((e) => e.isSymbolicLink() && !isDigest(e.name)).map((e) => e.name).sort();
    } catch (error) {
      if (isMissing(error)) return [];
      throw this.#io('cannot list tags', error);
    }
  }

  async close(): Promise<void> {}

  /** A temp path in the repository folder: the same file system as blobs/ and manifests/, outside both. */
  async #tempPath(): Promise<string> {
    await mkdir(this.#dir, { recursive: true });
    return join(this.#dir, tempName());
  }

  /** Renames a finished temp file into place (its folder made first) and makes the new name durable. */
  async #publish(tmp: string, path: string): Promise<void> {
    const folder = join(path, '..');
    try {
      await mkdir(folder, { recursive: true });
      await rename(tmp, path);
    } finally {
      // rename() leaves both names when they are already links of one file (a blob mounted twice).
      await rm(tmp, { force: true });
    }
    if (this.#fsync) await fsyncDir(folder);
  }

  #io(what: string, cause: unknown): FerryError {
    return new FerryError('IO', `${this.display}: ${what}: ${(cause as Error).message}`, { cause });
  }
}
