import type { Digest } from '../../oci/digest.ts';
import { formatReference, type ImageReference } from '../../ref/reference.ts';
import type { ImageTarget } from '../../repository/repository.ts';
import { openEngineDestination } from './engine-destination.ts';
import { openEngineSource } from './engine-source.ts';
import type { ImageEngine, SharedResources } from './image-engine.ts';

/** An engine to use and what to do when done with it (nothing when a run's session owns it). */
export interface AcquiredEngine {
  engine: ImageEngine;
  release: () => Promise<void>;
}

export interface OpenEngineImageOptions {
  role: 'source' | 'destination';
  /** The reference as the user wrote it, e.g. `docker-daemon:app:1`. */
  display: string;
  /** The image's name (required for a destination, which the caller checked) and/or ID. */
  ref?: ImageReference | undefined;
  id?: Digest | undefined;
  notFoundHint: string;
  session?: SharedResources | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Opens one image of a local engine as the copy engine's target: a source is
 * found (by ID when given, else by name) and exported; a destination is
 * loaded under the fully qualified name. The engine is released when the
 * repository closes, or at once when opening fails.
 */
export async function openEngineImage({ engine, release }: AcquiredEngine, options: OpenEngineImageOptions): Promise<ImageTarget> {
  const { display, ref, signal } = options;
  try {
    await engine.ping(signal);
    if (options.role === 'source') {
      const repository = await openEngineSource(engine, {
        display,
        nameOrId: options.id ?? formatReference(ref!),
        repository: ref,
        session: options.session,
        onClose: release,
        notFoundHint: options.notFoundHint,
        signal,
      });
      return { repository, reference: undefined, display };
    }
    const name = formatReference(ref!);
    return { repository: openEngineDestination(engine, { display, name, onClose: release, signal }), reference: name, display };
  } catch (error) {
    await release();
    throw error;
  }
}

/** The tags of one repository among an engine's images, with creation times; the engine is released afterwards. */
export async function listEngineTags({ engine, release }: AcquiredEngine, repository: ImageReference, signal?: AbortSignal): Promise<Map<string, Date | undefined>> {
  try {
    return await engine.tags(repository, signal);
  } finally {
    await release();
  }
}
