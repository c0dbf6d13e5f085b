import type { Readable } from 'node:stream';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import type { ImageReference } from '../../ref/reference.ts';
import { EngineClient, parseJson, readSmall, type EngineProduct } from './engine-client.ts';
import type { EngineEndpoint } from './engine-endpoint.ts';
import { tagsOf, type EngineImage, type ImageEngine } from './image-engine.ts';

export const DOCKER: EngineProduct = {
  name: 'the Docker daemon',
  startHint: 'start dockerd, or point DOCKER_HOST (or --src-daemon-host / --dest-daemon-host) at its socket, e.g. unix:///run/user/1000/docker.sock for rootless Docker',
  permissionHint: 'add your user to the docker group (sudo usermod -aG docker $USER, then log in again), or run ferry as a user that may use the socket',
};

const ImageSchema = z.object({
  Id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  RepoTags: z.array(z.string()).nullish(),
});
const ImageListSchema = z.array(z.object({ RepoTags: z.array(z.string()).nullish(), Created: z.number().optional() }));
/** One line of `POST /images/load`'s answer: progress text or an error. */
const LoadLineSchema = z.object({ stream: z.string().optional(), error: z.string().optional(), errorDetail: z.object({ message: z.string().optional() }).optional() });

/** The Docker Engine API's image endpoints (`/images/{name}/json`, `/images/get`, `/images/load`), unversioned so any daemon answers in its own version. */
export class DockerEngine implements ImageEngine {
  readonly transport = 'docker-daemon';
  readonly client: EngineClient;
  readonly storageId: string;

  constructor(endpoint: EngineEndpoint) {
    this.client = new EngineClient(endpoint, DOCKER);
    this.storageId = `docker-daemon:${endpoint.display}`;
  }

  async ping(signal?: AbortSignal): Promise<void> {
    const res = await this.client.request({ method: 'GET', path: '/_ping', signal });
    if (res.status !== 200) throw await this.client.statusError(res, 'GET /_ping');
    res.body.resume();
  }

  async find(nameOrId: string, signal?: AbortSignal): Promise<EngineImage | undefined> {
    const what = `the image ${nameOrId}`;
    const res = await this.client.request({ method: 'GET', path: `/images/${encodeURIComponent(nameOrId)}/json`, signal });
    if (res.status === 404) {
      res.body.resume();
      return undefined;
    }
    if (res.status !== 200) throw await this.client.statusError(res, what);
    const image = await this.client.answer(ImageSchema, res.body, what);
    return { id: image.Id as Digest, repoTags: image.RepoTags ?? [] };
  }

  async exportImage(id: Digest, signal?: AbortSignal): Promise<Readable> {
    const res = await this.client.request({ method: 'GET', path: `/images/get?names=${encodeURIComponent(id)}`, signal });
    if (res.status !== 200) throw await this.client.statusError(res, `exporting ${id}`);
    return res.body;
  }

  async loadImages(archive: Readable, signal?: AbortSignal): Promise<string[]> {
    const res = await this.client.request({ method: 'POST', path: '/images/load?quiet=1', body: archive, contentType: 'application/x-tar', signal });
    if (res.status !== 200) throw await this.client.statusError(res, 'loading the image');
    // Docker answers 200 and reports a failed load inside the JSON stream.
    const names: string[] = [];
    for (const line of (await readSmall(res.body)).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const parsed = LoadLineSchema.safeParse(parseJson(Buffer.from(line), 'the Docker daemon\'s answer to loading the image'));
      if (!parsed.success) throw new FerryError('DAEMON', `${this.client.where} answered the load with an unexpected line: ${line.slice(0, 200)}`);
      const entry = parsed.data;
      const error = entry.errorDetail?.message ?? entry.error;
      if (error !== undefined) throw new FerryError('DAEMON', `${this.client.where} refused the image: ${error}`);
      const loaded = /^Loaded image(?: ID)?: (.+)$/.exec(entry.stream?.trim() ?? '')?.[1];
      if (loaded !== undefined) names.push(loaded);
    }
    return names;
  }

  async tags(repository: ImageReference, signal?: AbortSignal): Promise<Map<string, Date | undefined>> {
    const list = await this.client.json('/images/json', ImageListSchema, 'listing images', signal);
    return tagsOf(list.map((i) => ({ names: i.RepoTags ?? [], created: i.Created })), repository);
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
