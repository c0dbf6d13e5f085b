import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, manifestMediaTypeOf, type RawManifest } from '../../oci/manifest.ts';
import type { BlobGetOptions, CallOptions } from '../../repository/repository.ts';
import { MANIFEST_FILE, MAX_VERSION_FILE_BYTES, VERSION_FILE, blobFileName, checkVersion, instanceManifestFileName } from './dir-format.ts';
import { openRegularFileStream, readSmallFileIfPresent } from '../../util/regular-file.ts';

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function ioError(message: string, cause: unknown): FerryError {
  return new FerryError('IO', `${message}: ${(cause as Error).message}`, { cause });
}


/**
 * Read access to one image in skopeo's directory format. Nothing is cached:
 * a destination reads what is committed on disk now.
 */
export class DirReader {
  readonly dir: string;
  readonly where: string;

  constructor(dir: string, where: string) {
    this.dir = dir;
    this.where = where;
  }

  /** Refuses a directory whose `version` file names a format ferry does not know. */
  async checkVersion(): Promise<void> {
    const bytes = await readSmallFileIfPresent(join(this.dir, VERSION_FILE), { what: `${this.where} version file`, maxBytes: MAX_VERSION_FILE_BYTES });
    checkVersion(bytes?.toString('utf8'), this.where);
  }

  async #readManifestFile(name: string, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    const bytes = await readSmallFileIfPresent(join(this.dir, name), { what: `${this.where} manifest`, maxBytes: MAX_MANIFEST_BYTES, code: 'INVALID_MANIFEST', signal });
    return bytes && new Uint8Array(bytes);
  }

  /** The top manifest (`manifest.json`), or undefined when there is none yet. */
  async topManifest(options: CallOptions = {}): Promise<RawManifest | undefined> {
    const bytes = await this.#readManifestFile(MANIFEST_FILE, options.signal);
    if (!bytes) return undefined;
    return { bytes, digest: digestOf(bytes), mediaType: manifestMediaTypeOf(bytes, `${this.where}/${MANIFEST_FILE}`) };
  }

  /**
   * The manifest a reference names: any tag means the top manifest (the
   * directory holds one image); a digest is the top manifest's or an
   * instance's (`<hex>.manifest.json`), verified. Undefined when absent.
   */
  async findManifest(reference: string, options: CallOptions = {}): Promise<RawManifest | undefined> {
    const top = await this.topManifest(options);
    if (!isDigest(reference)) return top;
    if (top && digestOf(top.bytes, digestAlgorithm(reference)) === reference) return { ...top, digest: reference };
    const name = instanceManifestFileName(reference);
    const bytes = await this.#readManifestFile(name, options.signal);
    if (!bytes) return undefined;
    if (digestOf(bytes, digestAlgorithm(reference)) !== reference) {
      throw new FerryError('CORRUPT', `${this.where}/${name} does not hash to ${reference}`, { hint: 'the directory was modified or damaged; copy the image again' });
    }
    return { bytes, digest: reference, mediaType: manifestMediaTypeOf(bytes, `${this.where}/${name}`) };
  }

  async manifestGet(reference: string, options: CallOptions = {}): Promise<RawManifest> {
    const found = await this.findManifest(reference, options);
    if (!found) throw new FerryError('NOT_FOUND', `manifest ${reference} not found in ${this.where}`, { hint: isDigest(reference) ? undefined : `${this.where} has no ${MANIFEST_FILE}` });
    return found;
  }

  async manifestHead(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const found = await this.findManifest(reference, options);
    return found && { mediaType: found.mediaType, digest: found.digest, size: found.bytes.byteLength };
  }

  async blobHead(digest: Digest): Promise<number | undefined> {
    try {
      const st = await stat(join(this.dir, blobFileName(digest)));
      return st.isFile() ? st.size : undefined;
    } catch (error) {
      if (isMissing(error)) return undefined;
      throw ioError(`${this.where}: cannot stat blob ${digest}`, error);
    }
  }

  /** Streams a blob file. Does not verify: the destination's blobPut hashes what it receives. */
  async blobGet(descriptor: Descriptor, options: BlobGetOptions = {}): Promise<Readable> {
    const path = join(this.dir, blobFileName(descriptor.digest));
    try {
      return (await openRegularFileStream(path, { what: `${this.where} blob`, code: 'CORRUPT', signal: options.signal })).stream;
    } catch (error) {
      if (error instanceof FerryError && error.code === 'NOT_FOUND') throw new FerryError('NOT_FOUND', `blob ${descriptor.digest} not found in ${this.where}`);
      throw error;
    }
  }
}
