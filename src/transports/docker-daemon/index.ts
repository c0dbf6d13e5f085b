import { FerryError } from '../../errors.ts';
import type { DockerDaemonImage } from '../../ref/docker-daemon-ref.ts';
import { repositoryPath, type ImageReference } from '../../ref/reference.ts';
import { formatTransportRef } from '../../ref/transport-ref.ts';
import type { Opener } from '../../repository/opener.ts';
import type { ImageTarget } from '../../repository/repository.ts';
import { DockerEngine } from './docker-engine.ts';
import { dockerEndpoint } from './engine-endpoint.ts';
import type { ImageEngine, SharedResources } from './image-engine.ts';
import { listEngineTags, openEngineImage, type AcquiredEngine } from './open-engine-image.ts';

export { ENGINE_CAPABILITIES } from './engine-capabilities.ts';
export { EngineClient, parseJson, readSmall, type EngineProduct } from './engine-client.ts';
export { DEFAULT_DOCKER_HOST, dockerEndpoint, parseEngineHost, type EngineEndpoint } from './engine-endpoint.ts';
export { listEngineTags, openEngineImage, type AcquiredEngine } from './open-engine-image.ts';
export { tagsOf, type EngineImage, type ImageEngine, type ListedImage, type SharedResources } from './image-engine.ts';

export interface LocalEngineOpenOptions {
  role: 'source' | 'destination';
  /** `--src-daemon-host` / `--dest-daemon-host`; else `DOCKER_HOST`, else the default socket. */
  daemonHost?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Run-wide resources: one engine connection and one staged export per image. */
  session?: SharedResources | undefined;
  signal?: AbortSignal | undefined;
}

/** An engine shared through the session, or one the opened repository owns and closes. */
export async function engineFor(key: string, create: () => Promise<ImageEngine>, session: SharedResources | undefined): Promise<AcquiredEngine> {
  if (session) {
    const engine = await session.shared(key, create, async (made) => {
      await (await made.catch(() => undefined))?.close();
    });
    return { engine, release: async () => undefined };
  }
  const engine = await create();
  return { engine, release: () => engine.close() };
}

/** The daemon the options name (`flag` names the option in messages), shared through the session when there is one. */
async function dockerEngine(options: Omit<LocalEngineOpenOptions, 'role'>, flag: string): Promise<AcquiredEngine> {
  const endpoint = await dockerEndpoint({ host: options.daemonHost, env: options.env, flag, signal: options.signal });
  return engineFor(`docker-daemon engine ${endpoint.display}`, async () => new DockerEngine(endpoint), options.session);
}

/**
 * Opens `docker-daemon:NAME[:TAG]` or `docker-daemon:sha256:ID` through the
 * Docker Engine API. A source is exported (`docker save`); a destination is
 * loaded (`docker load`) and needs a tagged name.
 */
export const openDockerDaemon: Opener<'docker-daemon'> = (image, options) =>
  openDaemonImage(image, { role: options.role, daemonHost: options.access?.daemonHost, env: options.access?.env, session: options.session, signal: options.signal });

async function openDaemonImage(image: DockerDaemonImage, options: LocalEngineOpenOptions): Promise<ImageTarget> {
  const display = formatTransportRef({ transport: 'docker-daemon', ...image });
  if (options.role === 'destination' && (image.ref === undefined || image.ref.digest !== undefined)) {
    throw new FerryError('INVALID_REFERENCE', `${display}: a docker-daemon destination needs a name with a tag, e.g. docker-daemon:app:1.0`, {
      hint: 'docker load names images by tag; an image ID or digest names an image that already exists',
    });
  }
  return openEngineImage(await dockerEngine(options, options.role === 'source' ? '--src-daemon-host' : '--dest-daemon-host'), {
    role: options.role,
    display,
    ref: image.ref,
    id: image.id,
    notFoundHint: image.ref ? `docker images ${repositoryPath(image.ref)} lists what the daemon has; build or pull it first` : 'docker images --no-trunc lists the full image IDs',
    session: options.session,
    signal: options.signal,
  });
}

/** The tags of one repository among the daemon's images, with creation times (sync lists them to pick images). */
export async function listDockerDaemonTags(repository: ImageReference, options: Omit<LocalEngineOpenOptions, 'role'>): Promise<Map<string, Date | undefined>> {
  return listEngineTags(await dockerEngine(options, '--src-daemon-host'), repository, options.signal);
}
