import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { verifyingStream } from '../../oci/verify-stream.ts';
import { FerryError, abortError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, manifestBlobs, parseManifest, type RawManifest } from '../../oci/manifest.ts';
import type { BlobPutResult, CallOptions } from '../../repository/repository.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { isTempName, removeStaleTemps, tempName } from '../../util/temp-name.ts';
import {
  DIR_VERSION, MANIFEST_FILE, MAX_VERSION_FILE_BYTES, READABLE_VERSIONS, VERSION_FILE, blobFileName, instanceManifestFileName,
} from './dir-format.ts';
import { readSmallFile } from '../../util/regular-file.ts';

export interface DirWriterOptions {
  /** fsync files before they become visible (default true). */
  fsync?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Whether `dir` holds a dir: image (its `version` file names a known version), which a new copy may replace. */
async function isDirImage(dir: string): Promise<boolean> {
  const bytes = await readSmallFile(join(dir, VERSION_FILE), { what: 'dir: version file', maxBytes: MAX_VERSION_FILE_BYTES }).catch(() => undefined);
  return bytes !== undefined && READABLE_VERSIONS.includes(bytes.toString('utf8'));
}


/**
 * Writes one image into a directory in skopeo's format. Blobs are verified
 * while they stream to a temp file and renamed into place; manifests are held
 * until {@link commit}, which writes instance manifests, then `manifest.json`
 * (atomically, last), then removes files of the image it replaced. Until then
 * a previous image in the directory stays readable; an uncommitted write is
 * undone by {@link discard}.
 */
export class DirWriter {
  readonly dir: string;
  readonly where: string;
  readonly fsync: boolean;
  /** Blobs written by this writer, by digest, with their sizes. */
  readonly #written = new Map<Digest, number>();
  /** Files that did not exist before this writer made them (removed again on discard). */
  readonly #created = new Set<string>();
  readonly #manifests = new Map<Digest, RawManifest>();
  #last: RawManifest | undefined;
  #createdDir = false;
  #committed = false;

  private constructor(dir: string, where: string, fsync: boolean) {
    this.dir = dir;
    this.where = where;
    this.fsync = fsync;
  }

  /**
   * Prepares `dir` as a destination: a missing or empty directory is made a
   * dir image (its `version` file first, so an interrupted copy is still
   * recognised as one); an existing dir image will be replaced on commit; any
   * other non-empty directory is refused.
   */
  static async open(dir: string, where: string, options: DirWriterOptions = {}): Promise<DirWriter> {
    throwIfAborted(options.signal);
    const writer = new DirWriter(dir, where, options.fsync ?? true);
    let names: string[];
    try {
      const st = await stat(dir);
      if (!st.isDirectory()) throw new FerryError('INVALID_CONFIG', `${where}: ${dir} exists and is not a directory`);
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        if (error instanceof FerryError) throw error;
        throw new FerryError('IO', `${where}: cannot access ${dir}: ${(error as Error).message}`, { cause: error });
      }
      await mkdir(dir, { recursive: true });
      writer.#createdDir = true;
      names = [];
    }
    // A dead run's leftovers go; live writers' temp files stay (and are not content).
    await removeStaleTemps(dir);
    const content = names.filter((n) => !isTempName(n));
    if (content.length > 0 && !(await isDirImage(dir))) {
      throw new FerryError('INVALID_CONFIG', `${where}: ${dir} is not empty and is not an image directory (no ${VERSION_FILE} file of a known version); refusing to overwrite it`, {
        hint: 'write to an empty or missing directory, or to one a previous dir: copy made',
      });
    }
    if (!content.includes(VERSION_FILE)) {
      await writer.#writeFileAtomic(VERSION_FILE, Buffer.from(DIR_VERSION));
      writer.#created.add(VERSION_FILE);
    }
    return writer;
  }

  /** Size of a blob this writer stored; blobs of a replaced image do not count, they are written again. */
  blobHead(digest: Digest): number | undefined {
    return this.#written.get(digest);
  }

  async blobPut(descriptor: Descriptor, data: Readable, options: CallOptions = {}): Promise<BlobPutResult> {
    if (this.#written.has(descriptor.digest)) {
      data.destroy();
      return 'exists';
    }
    const name = blobFileName(descriptor.digest);
    const tmp = join(this.dir, tempName());
    try {
      await pipeline(
        data,
        verifyingStream(descriptor, { where: `${this.where}: blob ${descriptor.digest}` }),
        createWriteStream(tmp, { flags: 'wx', flush: this.fsync }),
        options.signal ? { signal: options.signal } : {},
      );
      const existed = await stat(join(this.dir, name)).then(() => true, () => false);
      await rename(tmp, join(this.dir, name));
      if (!existed) this.#created.add(name);
    } catch (error) {
      await rm(tmp, { force: true });
      if (options.signal?.aborted && !(error instanceof FerryError)) throw abortError(options.signal);
      if (error instanceof FerryError) throw error;
      throw new FerryError('IO', `${this.where}: cannot write blob ${descriptor.digest}: ${(error as Error).message}`, { cause: error, retryable: false });
    }
    this.#written.set(descriptor.digest, descriptor.size);
    return 'uploaded';
  }

  /** Checks and holds a manifest; the last one put before {@link commit} becomes `manifest.json`. */
  manifestPut(reference: string, manifest: RawManifest): void {
    if (manifest.bytes.byteLength > MAX_MANIFEST_BYTES) {
      throw new FerryError('INVALID_MANIFEST', `${this.where}: manifest is ${manifest.bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
    }
    if (digestOf(manifest.bytes, digestAlgorithm(manifest.digest)) !== manifest.digest) {
      throw new FerryError('DIGEST_MISMATCH', `${this.where}: manifest bytes do not hash to ${manifest.digest}`);
    }
    if (isDigest(reference) && reference !== manifest.digest) {
      throw new FerryError('DIGEST_MISMATCH', `${this.where}: manifest ${manifest.digest} cannot be stored as ${reference}`);
    }
    this.#manifests.set(manifest.digest, manifest);
    this.#last = manifest;
  }

  /**
   * Makes the image visible: instance manifests of a list, then
   * `manifest.json` by atomic rename, then removes every file the new image
   * does not use (the replaced image's blobs and manifests).
   */
  async commit(options: CallOptions = {}): Promise<void> {
    const top = this.#last;
    if (!top) throw new FerryError('USAGE', `${this.where}: nothing to commit, no manifest was written`);
    throwIfAborted(options.signal);
    const keep = new Set<string>([VERSION_FILE, MANIFEST_FILE]);
    const parsed = parseManifest(top.bytes, top.mediaType, this.where);
    const images: RawManifest[] = [];
    if (parsed.kind === 'index') {
      for (const child of parsed.index.manifests) {
        const raw = this.#manifests.get(child.digest);
        if (!raw) {
          throw new FerryError('USAGE', `${this.where}: instance ${child.digest} of the list was not written before it`, {
            hint: 'a directory holds a list only with every instance (copy with --all)',
          });
        }
        const name = instanceManifestFileName(child.digest);
        await this.#writeFileAtomic(name, raw.bytes);
        keep.add(name);
        images.push(raw);
      }
    } else {
      images.push(top);
    }
    for (const image of images) {
      const p = parseManifest(image.bytes, image.mediaType, `${this.where}@${image.digest}`);
      if (p.kind !== 'image') throw new FerryError('UNSUPPORTED', `${this.where}: nested index ${image.digest} cannot be stored`);
      for (const blob of manifestBlobs(p.manifest)) keep.add(blobFileName(blob.digest));
    }
    // A replaced 1.0 directory now may hold instance manifests: say 1.1, as skopeo would.
    await this.#writeFileAtomic(VERSION_FILE, Buffer.from(DIR_VERSION));
    await this.#writeFileAtomic(MANIFEST_FILE, top.bytes);
    this.#committed = true;
    // The new image is in place; what the replaced one left behind goes.
    for (const name of await readdir(this.dir)) {
      if (keep.has(name) || isTempName(name)) continue;
      const path = join(this.dir, name);
      if ((await stat(path).catch(() => undefined))?.isFile()) await unlink(path).catch(() => undefined);
    }
  }

  /** Undoes an uncommitted write: removes the files this writer created (and the directory when it made it). */
  async discard(): Promise<void> {
    if (this.#committed) return;
    for (const name of this.#created) await rm(join(this.dir, name), { force: true });
    if (this.#createdDir) await rmdir(this.dir).catch(() => undefined);
  }

  async #writeFileAtomic(name: string, bytes: Uint8Array): Promise<void> {
    try {
      await writeFileAtomic(join(this.dir, name), bytes, { fsync: this.fsync });
    } catch (error) {
      throw new FerryError('IO', `${this.where}: ${(error as Error).message}`, { cause: error });
    }
  }
}
