import { FerryError } from '../../errors.ts';
import { digestOf, type Digest } from '../../oci/digest.ts';
import type { ImageReference } from '../../ref/reference.ts';
import type { Repository } from '../../repository/repository.ts';
import { ArchiveFileReader, archiveReaderSource } from '../docker-archive/index.ts';
import { ENGINE_CAPABILITIES } from './engine-capabilities.ts';
import type { ImageEngine, SharedResources } from './image-engine.ts';

export interface EngineSourceOptions {
  /** `docker-daemon:app:1` as the user wrote it. */
  display: string;
  /** What to ask the engine for: a fully qualified name or an image ID. */
  nameOrId: string;
  /** The repository whose tags {@link Repository.tagList} lists; none for an image named by ID. */
  repository?: ImageReference | undefined;
  /** Run-wide resources: one staged export per image however often it is opened. */
  session?: SharedResources | undefined;
  /** Runs when the repository is closed (releases an engine the repository owns). */
  onClose?: (() => Promise<void>) | undefined;
  /** What to suggest when the image is not there. */
  notFoundHint: string;
  signal?: AbortSignal | undefined;
}

/**
 * The export each engine is busy with. Exports of one engine run one after the
 * other: each reads every layer from the engine's disk and writes a temp copy,
 * so in parallel (a sync planning many images) they would only compete.
 */
const exporting = new WeakMap<ImageEngine, Promise<unknown>>();

function oneAtATime<T>(engine: ImageEngine, task: () => Promise<T>): Promise<T> {
  const turn = (exporting.get(engine) ?? Promise.resolve()).then(task, task);
  exporting.set(engine, turn.catch(() => undefined));
  return turn;
}

/**
 * Exports an image to a temp file (indexed while it arrives) and checks that
 * the archive holds exactly the image asked for: one image whose config
 * hashes to the image ID.
 */
async function stageExport(engine: ImageEngine, id: Digest, where: string, signal: AbortSignal | undefined): Promise<ArchiveFileReader> {
  const archive = await ArchiveFileReader.fromStream(await engine.exportImage(id, signal), { where, signal });
  try {
    const [image, ...others] = archive.images;
    if (!image || others.length > 0) throw new FerryError('DAEMON', `${where}: the export of ${id} holds ${archive.images.length} images, expected one`);
    const config = digestOf(await archive.readSmallFile(image.Config));
    if (config !== id) throw new FerryError('CORRUPT', `${where}: the exported config hashes to ${config}, but the image ID is ${id}`);
    return archive;
  } catch (error) {
    await archive.close();
    throw error;
  }
}

/**
 * Opens an image of a local engine as a read-only Repository. The engine
 * hands out a `docker save` tar, which is staged in os.tmpdir() while it is
 * indexed (random access needs it: the copy reads blobs in parallel and the
 * manifest needs every layer's size first) and read by the docker-archive
 * reader; the staged file is removed on close (at the end of the run with a
 * session). Not found is NOT_FOUND (exit 2).
 */
export async function openEngineSource(engine: ImageEngine, options: EngineSourceOptions): Promise<Repository> {
  const { display, signal } = options;
  const image = await engine.find(options.nameOrId, signal);
  if (!image) {
    throw new FerryError('NOT_FOUND', `${display}: no such image in ${engine.client.where}`, { hint: options.notFoundHint });
  }
  const stage = (): Promise<ArchiveFileReader> => oneAtATime(engine, () => stageExport(engine, image.id, display, signal));
  let archive: ArchiveFileReader;
  let release: () => Promise<void>;
  if (options.session) {
    const shared = options.session.shared(`${engine.storageId} image ${image.id}`, stage, async (staging) => {
      await (await staging.catch(() => undefined))?.close();
    });
    archive = await shared;
    release = async () => undefined;
  } else {
    archive = await stage();
    release = () => archive.close();
  }
  const { repository } = options;
  return archiveReaderSource(archive, {
    display,
    storageId: engine.storageId,
    capabilities: ENGINE_CAPABILITIES,
    // The engine's own names, not the tar's: an export by ID carries none.
    tagList: async (opts) => (repository ? [...(await engine.tags(repository, opts.signal)).keys()] : []),
    close: async () => {
      await release();
      await options.onClose?.();
    },
  });
}
