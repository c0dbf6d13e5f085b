import type { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import { familiarString, formatReference } from '../../ref/reference.ts';
import type { CallOptions, Repository } from '../../repository/repository.ts';
import type { Opener } from '../../repository/opener.ts';
import { openArchiveSource } from './archive-source.ts';
import { DOCKER_ARCHIVE_CAPABILITIES, DockerArchiveWriter } from './archive-writer.ts';

export { archiveReaderSource, openArchiveSource, type ArchiveReaderSourceOptions, type ArchiveSourceOptions } from './archive-source.ts';
export { ArchiveFileReader } from './archive-file-reader.ts';
export { DockerArchiveWriter, DOCKER_ARCHIVE_CAPABILITIES } from './archive-writer.ts';
export { DOCKER_LAYER_TAR } from './archive-image.ts';

/** A docker-archive destination as a Repository: writes go to the archive, reads see only what this copy wrote. */
export function archiveDestination(writer: DockerArchiveWriter, display: string): Repository {
  const unsupported = (verb: string): never => {
    throw new FerryError('UNSUPPORTED', `${display}: ${verb} is not supported on a docker-archive being written`);
  };
  return {
    display,
    storageId: `docker-archive:${writer.path ?? display}`,
    repository: '',
    capabilities: DOCKER_ARCHIVE_CAPABILITIES,
    async blobHead(digest) {
      return writer.blobHead(digest);
    },
    blobGet: async () => unsupported('reading a blob'),
    blobPut(descriptor: Descriptor, data: Readable, options?: CallOptions) {
      return writer.blobPut(descriptor, data, options);
    },
    async manifestHead() {
      // Nothing is readable before commit, and a committed archive is never modified.
      return undefined;
    },
    manifestGet: async (reference: string) => {
      throw new FerryError('NOT_FOUND', `manifest ${reference} not found in ${display}`);
    },
    async manifestPut(reference: string, manifest: RawManifest) {
      writer.manifestPut(reference, manifest);
    },
    async tagList() {
      return [];
    },
    commit(options?: CallOptions) {
      return writer.commit(options);
    },
    close() {
      return writer.discard();
    },
  };
}

/**
 * Opens `docker-archive:PATH[:REF|:@N]`. As a source, REF or @N selects an
 * image (the only one when neither is given); as a destination, REF becomes
 * the image's RepoTags entry.
 */
export const openDockerArchive: Opener<'docker-archive'> = async (ref, options) => {
  const suffix = ref.ref !== undefined ? `:${familiarString(ref.ref)}` : ref.index !== undefined ? `:@${ref.index}` : '';
  const display = `docker-archive:${ref.path}${suffix}`;
  if (options.role === 'source') {
    const repository = await openArchiveSource(ref.path, { display, ref: ref.ref, index: ref.index, signal: options.signal });
    return { repository, reference: undefined, display };
  }
  if (ref.index !== undefined) {
    throw new FerryError('INVALID_REFERENCE', `${display}: :@N selects an image to read; a destination takes a name (docker-archive:${ref.path}:app:1.0) or none`);
  }
  const writer = await DockerArchiveWriter.open(ref.path, display);
  return { repository: archiveDestination(writer, display), reference: ref.ref && formatReference(ref.ref), display };
};
