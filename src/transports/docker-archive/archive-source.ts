import type { Readable } from 'node:stream';
import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { isDigest } from '../../oci/digest.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import { parseReference, type ImageReference } from '../../ref/reference.ts';
import type { BlobGetOptions, CallOptions, Capabilities, Repository } from '../../repository/repository.ts';
import { decompressor } from '../../tar/index.ts';
import { ArchiveFileReader } from './archive-file-reader.ts';
import { loadArchiveImage, selectArchiveImage, type ArchiveImage } from './archive-image.ts';
import { DOCKER_ARCHIVE_CAPABILITIES } from './archive-writer.ts';

export interface ArchiveSourceOptions {
  /** `docker-archive:PATH[:REF|:@N]` as the user wrote it. */
  display: string;
  ref?: ImageReference | undefined;
  index?: number | undefined;
  signal?: AbortSignal | undefined;
}

/** How a transport that hands out `docker save` tars (a daemon) presents one as its own. */
export interface ArchiveReaderSourceOptions extends ArchiveSourceOptions {
  /** Identity of the storage the image comes from; default the tar file. */
  storageId?: string | undefined;
  capabilities?: Capabilities | undefined;
  /** Tags of the image's repository; default those its RepoTags name. */
  tagList?: ((options: CallOptions) => Promise<string[]>) | undefined;
  /** What {@link Repository.close} does; default it closes the archive. */
  close?: (() => Promise<void>) | undefined;
}

const SOURCE_CAPABILITIES: Capabilities = DOCKER_ARCHIVE_CAPABILITIES;

/**
 * Reads one image of a `docker save` tar as a read-only Repository. Any tag
 * names the selected image; its digest is the one of the synthesized Docker
 * schema 2 manifest. The manifest is built on first use and cached.
 */
export async function openArchiveSource(path: string, options: ArchiveSourceOptions): Promise<Repository> {
  const archive = await ArchiveFileReader.open(path, { where: options.display, signal: options.signal });
  try {
    return archiveReaderSource(archive, options);
  } catch (error) {
    await archive.close();
    throw error;
  }
}

/** One image of an archive already open, as a read-only Repository; throws when the selection names none. */
export function archiveReaderSource(archive: ArchiveFileReader, options: ArchiveReaderSourceOptions): Repository {
  const { display } = options;
  const selected = selectArchiveImage(archive.images, { ref: options.ref, index: options.index }, display);
  let loaded: Promise<ArchiveImage> | undefined;
  const image = (opts: CallOptions = {}): Promise<ArchiveImage> => {
    throwIfAborted(opts.signal);
    loaded ??= loadArchiveImage(archive, selected, opts);
    // A failed load (an abort, say) may be tried again.
    loaded.catch(() => {
      loaded = undefined;
    });
    return loaded;
  };
  const find = async (reference: string, opts?: CallOptions): Promise<RawManifest | undefined> => {
    const { manifest } = await image(opts);
    if (isDigest(reference) && reference !== manifest.digest) return undefined;
    return manifest;
  };
  const readOnly = (): never => {
    throw new FerryError('UNSUPPORTED', `${display} was opened as a source and cannot be written`);
  };

  return {
    display,
    storageId: options.storageId ?? `docker-archive:${archive.tarPath}`,
    repository: '',
    capabilities: options.capabilities ?? SOURCE_CAPABILITIES,
    async blobHead(digest, opts) {
      return (await image(opts)).blobs.get(digest)?.size;
    },
    async blobGet(descriptor: Descriptor, opts: BlobGetOptions = {}): Promise<Readable> {
      const blob = (await image(opts)).blobs.get(descriptor.digest);
      if (!blob) throw new FerryError('NOT_FOUND', `blob ${descriptor.digest} not found in ${display}`);
      const stored = archive.openEntry(blob.entry, opts.signal);
      const unzip = decompressor(blob.compression);
      if (!unzip) return stored;
      stored.on('error', (err) => unzip.destroy(err));
      return stored.pipe(unzip);
    },
    blobPut: async () => readOnly(),
    async manifestHead(reference, opts) {
      const m = await find(reference, opts);
      return m && { mediaType: m.mediaType, digest: m.digest, size: m.bytes.byteLength };
    },
    async manifestGet(reference, opts) {
      const m = await find(reference, opts);
      if (!m) throw new FerryError('NOT_FOUND', `manifest ${reference} not found in ${display}`);
      return m;
    },
    manifestPut: async () => readOnly(),
    async tagList(opts = {}) {
      if (options.tagList) return options.tagList(opts);
      const tags = new Set<string>();
      for (const t of selected.RepoTags) {
        try {
          const tag = parseReference(t).tag;
          if (tag) tags.add(tag);
        } catch {
          // RepoTags another tool wrote badly name nothing ferry can address.
        }
      }
      return [...tags].sort();
    },
    async close() {
      await (options.close ?? (() => archive.close()))();
    },
  };
}
