import { realpath, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import type {
  BlobGetOptions, BlobPutOptions, BlobPutResult, CallOptions, Capabilities, ManifestPutOptions, Repository,
} from '../../repository/repository.ts';
import { DirReader } from './dir-reader.ts';
import { fileKind } from '../../util/regular-file.ts';
import { DirWriter } from './dir-writer.ts';

/**
 * What a `dir:` image can hold: any manifest type byte for byte, a list with
 * its instances (skopeo's `<hex>.manifest.json` files), blobs by digest.
 */
export const DIR_CAPABILITIES: Capabilities = Object.freeze({
  manifestTypes: 'any',
  indexes: true,
  // Local files: a few writers keep the disk busy without thrashing it.
  maxConcurrentBlobWrites: 4,
  crossRepoMount: false,
  blobsBeforeManifest: true,
  preservesDigests: true,
});

export interface DirRepositoryOptions {
  /** A source is read only; a destination is created or replaced. */
  role: 'source' | 'destination';
  /** fsync written files (default true). */
  fsync?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Opens skopeo's directory format at `path` as a Repository holding one image
 * (any tag names it; digests name it or one of its instances). As a
 * destination, writes become visible on {@link Repository.commit} and an
 * uncommitted write is undone on close.
 *
 * @throws FerryError `NOT_FOUND` for a missing source directory,
 * `INVALID_CONFIG` for a destination that is a non-empty directory not made
 * by a dir: copy.
 */
export async function openDirRepository(path: string, options: DirRepositoryOptions): Promise<Repository> {
  const dir = resolve(path);
  const display = `dir:${path}`;
  let writer: DirWriter | undefined;
  if (options.role === 'destination') {
    writer = await DirWriter.open(dir, display, { fsync: options.fsync, signal: options.signal });
  } else {
    const st = await stat(dir).catch(() => undefined);
    if (!st) throw new FerryError('NOT_FOUND', `${display}: directory ${dir} does not exist`);
    if (!st.isDirectory()) throw new FerryError('INVALID_CONFIG', `${display}: ${dir} is ${st.isFile() ? 'a file' : fileKind(st)}, not a directory`);
  }
  const reader = new DirReader(dir, display);
  if (!writer) await reader.checkVersion();
  const readOnly = (): never => {
    throw new FerryError('UNSUPPORTED', `${display} was opened as a source and cannot be written`);
  };

  return {
    display,
    storageId: `dir:${await realpath(dir)}`,
    repository: '',
    capabilities: DIR_CAPABILITIES,
    async blobHead(digest) {
      return writer ? writer.blobHead(digest) : reader.blobHead(digest);
    },
    blobGet(descriptor: Descriptor, opts?: BlobGetOptions): Promise<Readable> {
      return reader.blobGet(descriptor, opts);
    },
    async blobPut(descriptor: Descriptor, data: Readable, opts: BlobPutOptions = {}): Promise<BlobPutResult> {
      if (!writer) return readOnly();
      return writer.blobPut(descriptor, data, opts);
    },
    manifestHead(reference: string, opts?: CallOptions) {
      return reader.manifestHead(reference, opts);
    },
    manifestGet(reference: string, opts?: CallOptions): Promise<RawManifest> {
      return reader.manifestGet(reference, opts);
    },
    async manifestPut(reference: string, manifest: RawManifest, _opts?: ManifestPutOptions): Promise<void> {
      if (!writer) return readOnly();
      writer.manifestPut(reference, manifest);
    },
    async tagList() {
      // A directory holds one unnamed image.
      return [];
    },
    async commit(opts?: CallOptions) {
      await writer?.commit(opts);
    },
    async close() {
      await writer?.discard();
    },
  };
}
