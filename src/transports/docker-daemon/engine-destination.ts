import type { Readable } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import type { CallOptions, Repository } from '../../repository/repository.ts';
import { DockerArchiveWriter, archiveDestination } from '../docker-archive/index.ts';
import { ENGINE_CAPABILITIES } from './engine-capabilities.ts';
import type { ImageEngine } from './image-engine.ts';

export interface EngineDestinationOptions {
  display: string;
  /** The fully qualified name the image gets, e.g. `docker.io/library/app:1.0`. */
  name: string;
  /** Runs when the repository is closed (releases an engine the repository owns). */
  onClose?: (() => Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Writes one image into a local engine as the Repository the copy engine
 * writes to: the blobs stream, as they arrive, into a `docker save` tar that
 * is the body of the engine's load request (nothing is staged on disk by
 * ferry). {@link Repository.commit} ends the tar, waits for the engine to
 * store the image and checks that the name now points at an image whose ID
 * is the config digest. A copy that fails or is interrupted before commit
 * cuts the tar short, and the engine loads nothing.
 */
export function openEngineDestination(engine: ImageEngine, options: EngineDestinationOptions): Repository {
  const { display, signal } = options;
  let loading: Promise<string[]> | undefined;
  const writer = DockerArchiveWriter.toStream(display, (archive: Readable) => {
    loading = engine.loadImages(archive, signal);
    // A load that fails early must not leave blob writes waiting for a reader that is gone.
    loading.catch((error: unknown) => archive.destroy(error as Error));
  });
  // When the engine ended the upload, its own answer says why; the broken pipe it caused does not.
  const explain = async (error: unknown): Promise<unknown> => {
    if (!writer.readerGone || !loading) return error;
    return loading.then(() => error, (loadError: unknown) => loadError);
  };
  const base = archiveDestination(writer, display);
  return {
    ...base,
    storageId: engine.storageId,
    capabilities: ENGINE_CAPABILITIES,
    async blobPut(descriptor: Descriptor, data: Readable, opts?: CallOptions) {
      try {
        return await base.blobPut(descriptor, data, opts);
      } catch (error) {
        throw await explain(error);
      }
    },
    async commit(opts: CallOptions = {}) {
      try {
        await writer.commit(opts);
      } catch (error) {
        throw await explain(error);
      }
      if (!loading) throw new FerryError('USAGE', `${display}: nothing was written`);
      await loading;
      const stored = await engine.find(options.name, opts.signal);
      if (stored?.id !== writer.configDigest) {
        throw new FerryError('DAEMON', `${display}: after the load, ${options.name} names ${stored?.id ?? 'no image'}, not the copied image ${writer.configDigest ?? ''}`, {
          hint: 'another client may have retagged it meanwhile; copy again',
        });
      }
    },
    async close() {
      await writer.discard();
      await loading?.catch(() => undefined);
      await options.onClose?.();
    },
  };
}
