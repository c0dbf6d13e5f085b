import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { Digest } from '../../oci/digest.ts';
import type { ImageReference } from '../../ref/reference.ts';
import { EngineClient, tagsOf, type EngineEndpoint, type EngineImage, type EngineProduct, type ImageEngine } from '../docker-daemon/index.ts';

/** libpod's API; 4.0.0 is the oldest version Podman 4 and 5 both serve. */
const LIBPOD = '/v4.0.0/libpod';

export const PODMAN: EngineProduct = {
  name: 'the Podman service',
  startHint: 'is podman installed and able to open the store (podman images)? With CONTAINER_HOST set, start that service: podman system service',
  permissionHint: 'run ferry as the user whose store it is (rootless stores belong to one user; /var/lib/containers/storage to root)',
};

const ImageSchema = z.object({ Id: z.string().regex(/^[0-9a-f]{64}$/), RepoTags: z.array(z.string()).nullish() });
const ImageListSchema = z.array(z.object({ RepoTags: z.array(z.string()).nullish(), Created: z.number().optional() }));
const LoadSchema = z.object({ Names: z.array(z.string()).nullish() });

/**
 * containers/storage through Podman's libpod API: images are found with
 * `images/{name}/json`, leave with `images/{id}/get?format=docker-archive`
 * and arrive with `images/load`, so what ferry writes is what `podman
 * images` lists, whatever the driver (vfs, overlay) and layout of the store.
 */
export class PodmanEngine implements ImageEngine {
  readonly transport = 'containers-storage';
  readonly client: EngineClient;
  readonly storageId: string;
  readonly #onClose: () => Promise<void>;

  constructor(endpoint: EngineEndpoint, options: { storageId: string; where?: string | undefined; onClose?: (() => Promise<void>) | undefined }) {
    this.client = new EngineClient(endpoint, PODMAN, options.where);
    this.storageId = options.storageId;
    this.#onClose = options.onClose ?? (async () => undefined);
  }

  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.client.request({ method: 'GET', path: `${LIBPOD}/_ping`, signal });
    if (res.status !== 200) throw await this.client.statusError(res, 'GET /_ping');
    res.body.resume();
  }

  async find(nameOrId: string, signal?: AbortSignal): Promise<EngineImage | undefined> {
    const what = `the image ${nameOrId}`;
    const res = await this.client.request({ method: 'GET', path: `${LIBPOD}/images/${encodeURIComponent(nameOrId)}/json`, signal });
    if (res.status === 404) {
      res.body.resume();
      return undefined;
    }
    if (res.status !== 200) throw await this.client.statusError(res, what);
    const image = await this.client.answer(ImageSchema, res.body, what);
    return { id: `sha256:${image.Id}`, repoTags: image.RepoTags ?? [] };
  }

  async exportImage(id: Digest, signal?: AbortSignal): Promise<Readable> {
    const hex = id.slice('sha256:'.length);
    const res = await this.client.request({ method: 'GET', path: `${LIBPOD}/images/${hex}/get?format=docker-archive`, signal });
    if (res.status !== 200) throw await this.client.statusError(res, `exporting ${id}`);
    return res.body;
  }

  async loadImages(archive: Readable, signal?: AbortSignal): Promise<string[]> {
    const res = await this.client.request({ method: 'POST', path: `${LIBPOD}/images/load`, body: archive, contentType: 'application/x-tar', signal });
    if (res.status !== 200) throw await this.client.statusError(res, 'loading the image');
    return (await this.client.answer(LoadSchema, res.body, 'loading the image')).Names ?? [];
  }

  async tags(repository: ImageReference, signal?: AbortSignal): Promise<Map<string, Date | undefined>> {
    const list = await this.client.json(`${LIBPOD}/images/json`, ImageListSchema, 'listing images', signal);
    return tagsOf(list.map((i) => ({ names: i.RepoTags ?? [], created: i.Created })), repository);
  }

  async close(): Promise<void> {
    await this.client.close();
    await this.#onClose();
  }
}
