import { FerryError } from '../../errors.ts';
import { formatStorageSpec, type StorageImage, type StorageSpec } from '../../ref/containers-storage-ref.ts';
import { familiarString, type ImageReference } from '../../ref/reference.ts';
import { formatTransportRef } from '../../ref/transport-ref.ts';
import type { Opener } from '../../repository/opener.ts';
import type { ImageTarget } from '../../repository/repository.ts';
import { engineFor, listEngineTags, openEngineImage, parseEngineHost, type AcquiredEngine, type LocalEngineOpenOptions } from '../docker-daemon/index.ts';
import { PODMAN, PodmanEngine } from './podman-engine.ts';
import { startPodmanService } from './podman-service.ts';

export { PodmanEngine } from './podman-engine.ts';
export { findProgram, startPodmanService, storeFlags, type PodmanService } from './podman-service.ts';

/**
 * The Podman service for a store: the one `CONTAINER_HOST` names, else a
 * private `podman system service` ferry starts on the store and stops with
 * the engine.
 */
async function podmanEngine(store: StorageSpec | undefined, options: Omit<LocalEngineOpenOptions, 'role'>, display: string): Promise<PodmanEngine> {
  const env = options.env ?? process.env;
  const remote = env['CONTAINER_HOST'];
  const spec = formatStorageSpec(store);
  if (remote !== undefined && remote !== '') {
    if (spec !== '') {
      throw new FerryError('USAGE', `${display}: a store ${spec} cannot be used with CONTAINER_HOST, whose service has its own store`, {
        hint: 'unset CONTAINER_HOST to let ferry start a service on that store, or drop the [...] part',
      });
    }
    const endpoint = await parseEngineHost(remote, { source: 'CONTAINER_HOST', signal: options.signal });
    return new PodmanEngine(endpoint, { storageId: `containers-storage:${endpoint.display}` });
  }
  const service = await startPodmanService({ store, env, product: PODMAN, signal: options.signal });
  return new PodmanEngine(service.endpoint, {
    storageId: `containers-storage:${spec === '' ? 'default' : spec}`,
    where: spec === '' ? 'the default containers-storage store (storage.conf), through podman' : `the containers-storage store ${spec}, through podman`,
    onClose: service.stop,
  });
}

/** The engine for a store, shared through the session when there is one (one Podman service per store and run). */
function storageEngine(store: StorageSpec | undefined, options: Omit<LocalEngineOpenOptions, 'role'>, display: string): Promise<AcquiredEngine> {
  const key = `containers-storage engine ${(options.env ?? process.env)['CONTAINER_HOST'] ?? ''} ${formatStorageSpec(store)}`;
  return engineFor(key, () => podmanEngine(store, options, display), options.session);
}

/** The tags of one repository among the store's images, with creation times (sync lists them to pick images). */
export async function listContainersStorageTags(store: StorageSpec | undefined, repository: ImageReference, options: Omit<LocalEngineOpenOptions, 'role'>): Promise<Map<string, Date | undefined>> {
  return listEngineTags(await storageEngine(store, options, `containers-storage:${formatStorageSpec(store)}${familiarString(repository)}`), repository, options.signal);
}

function notFoundHint(image: StorageImage): string {
  if (!image.ref) return 'podman images --no-trunc lists the full image IDs';
  const hint = 'podman images lists what the store has';
  // Short names mean docker.io here (as in skopeo), but Podman names what it builds localhost/NAME.
  if (image.ref.registry !== 'docker.io') return hint;
  return `${hint}; an image Podman built is named localhost/NAME, e.g. containers-storage:${familiarString({ ...image.ref, registry: 'localhost', repository: image.ref.repository.replace(/^library\//, '') })}`;
}

/**
 * Opens `containers-storage:[STORE]NAME[:TAG]` or `containers-storage:ID`.
 * ferry does not read or write the store's files itself: it goes through
 * Podman's API service (see {@link podmanEngine}), so locking, drivers and
 * layer formats are Podman's, and what is written is what `podman images`
 * lists. A destination needs a name; the image keeps it fully qualified
 * (`docker.io/library/app:1`, as skopeo names it).
 */
export const openContainersStorage: Opener<'containers-storage'> = (image, options) =>
  openStorageImage(image, { role: options.role, env: options.access?.env, session: options.session, signal: options.signal });

async function openStorageImage(image: StorageImage, options: LocalEngineOpenOptions): Promise<ImageTarget> {
  const display = formatTransportRef({ transport: 'containers-storage', ...image });
  if (options.role === 'destination' && (image.ref === undefined || image.ref.digest !== undefined || image.id !== undefined)) {
    throw new FerryError('INVALID_REFERENCE', `${display}: a containers-storage destination needs a name with a tag and no ID, e.g. containers-storage:app:1.0`, {
      hint: 'an image ID or digest names an image that already exists',
    });
  }
  return openEngineImage(await storageEngine(image.store, options, display), {
    role: options.role,
    display,
    ref: image.ref,
    id: image.id !== undefined ? `sha256:${image.id}` : undefined,
    notFoundHint: notFoundHint(image),
    session: options.session,
    signal: options.signal,
  });
}
