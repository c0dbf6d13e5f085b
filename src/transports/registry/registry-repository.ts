import type { Readable, Transform } from 'node:stream';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { MANIFEST_TYPES, MediaType, baseMediaType } from '../../oci/media-types.ts';
import { MAX_MANIFEST_BYTES, parseManifest, type RawManifest } from '../../oci/manifest.ts';
import type {
  BlobGetOptions, BlobPutOptions, BlobPutResult, CallOptions, Capabilities, ManifestPutOptions, Repository,
} from '../../repository/repository.ts';
import { verifyingStream } from '../../oci/verify-stream.ts';
import { isRecord, parseJson } from '../../util/json.ts';
import { headerValue, readBounded, type RegistryClient, type RegistryResponse } from './registry-client.ts';
import { resumableDownload } from './resumable-download.ts';
import { throttled } from './throttle.ts';
import { uploadBlob } from './upload.ts';

const REGISTRY_CAPABILITIES: Capabilities = {
  manifestTypes: 'any',
  indexes: true,
  maxConcurrentBlobWrites: 8,
  crossRepoMount: true,
  blobsBeforeManifest: true,
  preservesDigests: true,
};

/** Page size asked for when listing tags; registries may return fewer and a Link to the rest. */
const TAG_PAGE_SIZE = 1000;
/** Pages followed at most: a loop guard against a registry that links to itself. */
const MAX_TAG_PAGES = 10_000;

/** One repository on a registry, speaking the distribution API. */
export class RegistryRepository implements Repository {
  readonly display: string;
  readonly storageId: string;
  readonly repository: string;
  readonly capabilities = REGISTRY_CAPABILITIES;
  readonly client: RegistryClient;
  /** Close the client with the repository (false when a pool shares it). */
  private readonly ownsClient: boolean;

  constructor(client: RegistryClient, repository: string, options: { ownsClient?: boolean } = {}) {
    this.client = client;
    this.repository = repository;
    this.storageId = `docker://${client.registry}`;
    this.display = `docker://${client.registry}/${repository}`;
    this.ownsClient = options.ownsClient ?? true;
  }

  private path(kind: 'blobs' | 'manifests' | 'tags' | 'blobs/uploads', ref = ''): string {
    return `/v2/${this.repository}/${kind}/${ref}`;
  }

  private subject(reference: string): string {
    return isDigest(reference) ? `${this.display}@${reference}` : `${this.display}:${reference}`;
  }

  private pull() {
    return [{ repository: this.repository, actions: ['pull' as const] }];
  }

  private push(extra: string[] = []) {
    return [
      { repository: this.repository, actions: ['pull' as const, 'push' as const] },
      ...extra.map((repository) => ({ repository, actions: ['pull' as const] })),
    ];
  }

  async blobHead(digest: Digest, options: CallOptions = {}): Promise<number | undefined> {
    const res = await this.client.request({
      method: 'HEAD', path: this.path('blobs', digest), scopes: this.pull(), signal: options.signal, accept: [404], subject: `${this.display}@${digest}`,
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const length = Number(headerValue(res.headers, 'content-length'));
    return Number.isFinite(length) ? length : undefined;
  }

  async blobGet(descriptor: Descriptor, options: BlobGetOptions = {}): Promise<Readable> {
    const body = await resumableDownload({
      client: this.client,
      path: this.path('blobs', descriptor.digest),
      scopes: this.pull(),
      size: descriptor.size,
      subject: `${this.display}@${descriptor.digest}`,
      signal: options.signal,
    });
    return this.client.bandwidth ? pipeThrough(body, throttled(this.client.bandwidth, options.signal)) : body;
  }

  async blobMount(descriptor: Descriptor, fromRepository: string, options: CallOptions = {}): Promise<boolean> {
    const res = await this.client.request({
      method: 'POST',
      path: `${this.path('blobs/uploads')}?mount=${encodeURIComponent(descriptor.digest)}&from=${encodeURIComponent(fromRepository)}`,
      scopes: this.push([fromRepository]),
      signal: options.signal,
      headers: { 'content-length': '0' },
      subject: `${this.display}@${descriptor.digest}`,
    });
    await res.body.dump();
    if (res.status === 201) return true;
    // 202: the registry opened an ordinary upload instead; cancel it so nothing lingers.
    const location = headerValue(res.headers, 'location');
    if (location !== undefined) {
      await this.client
        .request({ method: 'DELETE', path: new URL(location, res.url).href, scopes: this.push(), signal: options.signal, accept: [404, 405], subject: this.display })
        .then((r) => r.body.dump())
        .catch(() => undefined);
    }
    return false;
  }

  async blobPut(descriptor: Descriptor, data: Readable, options: BlobPutOptions = {}): Promise<BlobPutResult> {
    const paced = this.client.bandwidth ? pipeThrough(data, throttled(this.client.bandwidth, options.signal)) : data;
    const verified = pipeThrough(paced, verifyingStream(descriptor, { where: `${this.display}@${descriptor.digest}` }));
    // A small blob can be read and found wrong before the upload starts to send it: keep that verdict, it is the failure.
    let refused: unknown;
    verified.on('error', (error) => (refused ??= error));
    try {
      await uploadBlob({
        client: this.client,
        uploadPath: this.path('blobs/uploads'),
        scopes: this.push(),
        descriptor,
        data: verified,
        subject: `${this.display}@${descriptor.digest}`,
        signal: options.signal,
      });
    } catch (error) {
      throw refused instanceof FerryError ? refused : error;
    }
    if (refused !== undefined) throw refused;
    return 'uploaded';
  }

  async manifestHead(reference: string, options: CallOptions = {}): Promise<Descriptor | undefined> {
    const res = await this.client.request({
      method: 'HEAD', path: this.path('manifests', reference), scopes: this.pull(), signal: options.signal, accept: [404],
      headers: { accept: MANIFEST_TYPES.join(', ') }, subject: this.subject(reference),
    });
    await res.body.dump();
    if (res.status === 404) return undefined;
    const digest = headerValue(res.headers, 'docker-content-digest');
    const size = Number(headerValue(res.headers, 'content-length'));
    const contentType = headerValue(res.headers, 'content-type');
    if (digest === undefined || !isDigest(digest)) {
      // Without the digest header a HEAD says nothing useful; fall back to GET (rare: old or proxying registries).
      const manifest = await this.manifestGet(reference, options);
      return { mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.bytes.byteLength };
    }
    return { mediaType: contentType ? baseMediaType(contentType) : '', digest, size: Number.isFinite(size) ? size : 0 };
  }

  async manifestGet(reference: string, options: CallOptions = {}): Promise<RawManifest> {
    const res = await this.client.request({
      method: 'GET', path: this.path('manifests', reference), scopes: this.pull(), signal: options.signal,
      headers: { accept: MANIFEST_TYPES.join(', ') }, subject: this.subject(reference),
    });
    const bytes = await readManifestBody(res, this.subject(reference));
    const expected = isDigest(reference) ? reference : headerValue(res.headers, 'docker-content-digest');
    const algorithm = expected !== undefined && isDigest(expected) ? expected.slice(0, expected.indexOf(':')) : 'sha256';
    const digest = digestOf(bytes, algorithm);
    if (isDigest(reference) && digest !== reference) {
      throw new FerryError('DIGEST_MISMATCH', `${this.subject(reference)}: manifest content hashes to ${digest}`);
    }
    const parsed = parseManifest(bytes, headerValue(res.headers, 'content-type'), this.subject(reference));
    return { bytes, mediaType: parsed.mediaType, digest };
  }

  async manifestPut(reference: string, manifest: RawManifest, options: ManifestPutOptions = {}): Promise<void> {
    const res = await this.client.request({
      method: 'PUT',
      path: this.path('manifests', reference),
      scopes: this.push(),
      signal: options.signal,
      headers: { 'content-type': manifest.mediaType, 'content-length': String(manifest.bytes.byteLength) },
      body: manifest.bytes,
      subject: this.subject(reference),
    });
    await res.body.dump();
    const stored = headerValue(res.headers, 'docker-content-digest');
    if (stored !== undefined && isDigest(stored) && stored !== manifest.digest && stored.startsWith('sha256:') && manifest.digest.startsWith('sha256:')) {
      throw new FerryError('DIGEST_MISMATCH', `${this.subject(reference)}: registry stored the manifest as ${stored}, expected ${manifest.digest}`);
    }
  }

  async manifestDelete(reference: string, options: CallOptions = {}): Promise<void> {
    let digest = reference;
    if (!isDigest(reference)) {
      // The API deletes by digest only; resolve the tag first, as skopeo does.
      const head = await this.manifestHead(reference, options);
      if (!head) throw new FerryError('NOT_FOUND', `${this.subject(reference)}: manifest unknown`);
      digest = head.digest;
    }
    const res = await this.client.request({
      method: 'DELETE', path: this.path('manifests', digest), scopes: [{ repository: this.repository, actions: ['delete', 'pull', 'push'] }],
      signal: options.signal, subject: this.subject(reference),
    });
    await res.body.dump();
  }

  async tagList(options: CallOptions = {}): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `${this.path('tags', 'list')}?n=${TAG_PAGE_SIZE}`;
    for (let page = 0; path !== undefined && page < MAX_TAG_PAGES; page++) {
      const res: RegistryResponse = await this.client.request({ method: 'GET', path, scopes: this.pull(), signal: options.signal, subject: this.display });
      const text = await readBounded(res.body, 64 * 1024 * 1024);
      const parsed = parseJson(text, () => new FerryError('REGISTRY', `${this.display}: tag list is not JSON`));
      const listed = isRecord(parsed) ? parsed['tags'] : undefined;
      if (!isRecord(parsed) || (listed != null && (!Array.isArray(listed) || listed.some((t) => typeof t !== 'string')))) {
        throw new FerryError('REGISTRY', `${this.display}: tag list has no string array "tags"`);
      }
      if (Array.isArray(listed)) tags.push(...(listed as string[]));
      path = nextLink(headerValue(res.headers, 'link'), res.url);
    }
    return tags;
  }

  async referrers(digest: Digest, options: CallOptions = {}): Promise<Descriptor[]> {
    if (withoutReferrersApi.has(this.client)) return [];
    const subject = `${this.display}@${digest} referrers`;
    const res = await this.client.request({
      method: 'GET', path: `/v2/${this.repository}/referrers/${digest}`, scopes: this.pull(), signal: options.signal,
      headers: { accept: MediaType.ociIndex }, accept: [404, 405, 501], subject,
    });
    // Registries without the API (distribution 2.x) answer 404: they keep referrers under the fallback tag, if at all.
    // A registry with it never answers 404 (distribution-spec 1.1, "Listing Referrers"), so one such answer holds for the run.
    if (res.status !== 200) {
      withoutReferrersApi.add(this.client);
      await res.body.dump();
      return [];
    }
    const bytes = await readManifestBody(res, subject);
    const parsed = parseManifest(bytes, headerValue(res.headers, 'content-type') ?? MediaType.ociIndex, subject);
    if (parsed.kind !== 'index') throw new FerryError('REGISTRY', `${subject}: the answer is not an image index`);
    return parsed.index.manifests;
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }
}

/** Registries (by client) that answered a referrers request with 404, 405 or 501: they have no referrers API. */
const withoutReferrersApi = new WeakSet<RegistryClient>();

/** Pipes into a transform, forwarding the source's errors (pipe() alone would not). */
function pipeThrough(source: Readable, through: Transform): Transform {
  // Whoever reads `through` sees its error; but an aborted upload may have stopped reading, and an
  // 'error' nobody listens to would end the process with a stack trace instead of "cancelled".
  through.on('error', () => undefined);
  source.once('error', (err) => through.destroy(err));
  through.once('close', () => {
    if (!source.readableEnded) source.destroy();
  });
  return source.pipe(through);
}

/** The `rel="next"` target of an RFC 8288 Link header, resolved against the request URL. */
export function nextLink(link: string | undefined, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(',')) {
    const m = /<([^>]*)>\s*;(.*)/.exec(part.trim());
    if (m && /rel="?next"?/i.test(m[2]!)) return new URL(m[1]!, base).href;
  }
  return undefined;
}

async function readManifestBody(res: RegistryResponse, subject: string): Promise<Uint8Array> {
  const declared = Number(headerValue(res.headers, 'content-length'));
  if (Number.isFinite(declared) && declared > MAX_MANIFEST_BYTES) {
    await res.body.dump();
    throw new FerryError('INVALID_MANIFEST', `${subject}: manifest is ${declared} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_MANIFEST_BYTES) {
      res.body.destroy();
      throw new FerryError('INVALID_MANIFEST', `${subject}: manifest is over the ${MAX_MANIFEST_BYTES}-byte limit`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

