import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { verifyingStream } from '../../oci/verify-stream.ts';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestHex, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { parseManifest, type RawManifest } from '../../oci/manifest.ts';
import { MediaType } from '../../oci/media-types.ts';
import { formatReference, parseReference, repositoryPath, withDefaultTag } from '../../ref/reference.ts';
import type { BlobPutResult, CallOptions, Capabilities } from '../../repository/repository.ts';
import { TarFileWriter, archiveTempPath, existingFileSize, publishArchive, removeStaleArchiveTemps } from '../../tar/index.ts';
import { configDiffIds } from './archive-manifest.ts';
import { decompressingIterable } from './layer-content.ts';

/**
 * A docker-archive holds one image with its config and uncompressed layers:
 * only single image manifests, written one blob at a time (a tar is
 * sequential), and layers are rewritten (decompressed), so digests change.
 */
export const DOCKER_ARCHIVE_CAPABILITIES: Capabilities = Object.freeze({
  manifestTypes: Object.freeze([MediaType.dockerManifest, MediaType.ociManifest]),
  indexes: false,
  maxConcurrentBlobWrites: 1,
  crossRepoMount: false,
  blobsBeforeManifest: true,
  preservesDigests: false,
});

/** Configs are kept in memory up to this size to check their diff_ids against the layers written. */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

type Written =
  | { kind: 'config'; name: string; bytes: Buffer | undefined }
  | { kind: 'layer'; name: string; diffId: Digest };

/** Config blobs are JSON; everything else is a layer (compressed or not, told by its bytes). */
function isConfigMediaType(mediaType: string): boolean {
  return mediaType === MediaType.dockerConfig || mediaType === MediaType.ociConfig || /[+.]json$/.test(mediaType);
}

/**
 * Writes one image as a `docker save` tar, streaming each blob into
 * `PATH.ferry-tmp-…` as it arrives: the config as `<hex>.json`, each layer
 * decompressed (gzip, zstd) as `<diff_id hex>.tar`, the compressed digest
 * verified on the way. {@link commit} appends `manifest.json` and
 * `repositories` and moves the file to PATH; until then PATH is untouched.
 * Like skopeo it refuses to replace an existing non-empty archive.
 */
export class DockerArchiveWriter {
  readonly path: string;
  readonly where: string;
  #tar: Promise<TarFileWriter> | undefined;
  readonly #written = new Map<Digest, Written & { size: number }>();
  #image: { config: string; layers: string[]; repoTags: string[]; topDiffId: Digest | undefined } | undefined;
  #committed = false;

  private constructor(path: string, where: string) {
    this.path = path;
    this.where = where;
  }

  static async open(path: string, where: string): Promise<DockerArchiveWriter> {
    const size = await existingFileSize(path, where);
    if (size !== undefined && size > 0) {
      throw new FerryError('UNSUPPORTED', `${where}: ${path} already exists; a docker-archive cannot be modified`, {
        hint: 'remove the file or write to another path',
      });
    }
    await removeStaleArchiveTemps(path);
    return new DockerArchiveWriter(path, where);
  }

  /** The temp archive, created on the first write so a copy that fails early leaves no file at all. */
  #archive(): Promise<TarFileWriter> {
    this.#tar ??= TarFileWriter.create(archiveTempPath(this.path));
    return this.#tar;
  }

  blobHead(digest: Digest): number | undefined {
    return this.#written.get(digest)?.size;
  }

  async blobPut(descriptor: Descriptor, data: Readable, options: CallOptions = {}): Promise<BlobPutResult> {
    if (this.#written.has(descriptor.digest)) {
      data.destroy();
      return 'exists';
    }
    const tar = await this.#archive();
    const verifier = verifyingStream(descriptor, { where: `${this.where}: blob ${descriptor.digest}` });
    data.on('error', (err) => verifier.destroy(err));
    const verified = data.pipe(verifier);
    try {
      return await this.#append(tar, descriptor, verified, options);
    } finally {
      // On failure the tar was cut back; stop whatever still streams.
      if (!verifier.readableEnded) verifier.destroy();
    }
  }

  async #append(tar: TarFileWriter, descriptor: Descriptor, verified: Readable, options: CallOptions): Promise<BlobPutResult> {
    if (isConfigMediaType(descriptor.mediaType)) {
      const name = `${digestHex(descriptor.digest)}.json`;
      const keep = descriptor.size <= MAX_CONFIG_BYTES ? [] as Buffer[] : undefined;
      const kept = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of verified as AsyncIterable<Buffer>) {
          keep?.push(chunk);
          yield chunk;
        }
      };
      await tar.addStream(kept(), () => name, { signal: options.signal });
      this.#written.set(descriptor.digest, { kind: 'config', name, bytes: keep && Buffer.concat(keep), size: descriptor.size });
      return 'uploaded';
    }
    const hash = createHash('sha256');
    const content = async function* (): AsyncGenerator<Buffer> {
      for await (const chunk of decompressingIterable(verified)) {
        hash.update(chunk);
        yield chunk;
      }
    };
    let diffId: Digest | undefined;
    const name = (): string => {
      diffId = `sha256:${hash.digest('hex')}`;
      return `${digestHex(diffId)}.tar`;
    };
    await tar.addStream(content(), name, { signal: options.signal });
    this.#written.set(descriptor.digest, { kind: 'layer', name: `${digestHex(diffId!)}.tar`, diffId: diffId!, size: descriptor.size });
    return 'uploaded';
  }

  /** Records the image: every blob it names must have been written; the config's diff_ids must match the layers. */
  manifestPut(reference: string, manifest: RawManifest): void {
    if (isDigest(reference) && digestOf(manifest.bytes) !== reference) {
      throw new FerryError('DIGEST_MISMATCH', `${this.where}: manifest bytes do not hash to ${reference}`);
    }
    const parsed = parseManifest(manifest.bytes, manifest.mediaType, this.where);
    if (parsed.kind !== 'image') throw new FerryError('UNSUPPORTED', `${this.where}: a docker-archive holds one image, not a list`);
    const config = this.#written.get(parsed.manifest.config.digest);
    if (config?.kind !== 'config') {
      throw new FerryError('USAGE', `${this.where}: config ${parsed.manifest.config.digest} was not written before the manifest`);
    }
    const layers = parsed.manifest.layers.map((l) => {
      const w = this.#written.get(l.digest);
      if (w?.kind !== 'layer') {
        throw new FerryError(w ? 'USAGE' : 'UNSUPPORTED', `${this.where}: layer ${l.digest} (${l.mediaType}) was not written${l.urls ? '; foreign layers cannot be stored in a docker-archive' : ''}`);
      }
      return w;
    });
    if (config.bytes) {
      const expected = configDiffIds(config.bytes, `${this.where}: config`);
      const actual = layers.map((l) => l.diffId);
      if (expected.length !== actual.length || expected.some((d, i) => d !== actual[i])) {
        throw new FerryError('CORRUPT', `${this.where}: the layers uncompress to ${actual.join(', ') || 'nothing'}, but the config's rootfs.diff_ids say ${expected.join(', ') || 'nothing'}`);
      }
    }
    const repoTags = isDigest(reference) ? [] : [formatReference(withDefaultTag(parseReference(reference)))];
    this.#image = { config: config.name, layers: layers.map((l) => l.name), repoTags, topDiffId: layers.at(-1)?.diffId };
  }

  /** Ends the tar with manifest.json and repositories and moves it to PATH. */
  async commit(options: CallOptions = {}): Promise<void> {
    const image = this.#image;
    if (!image) throw new FerryError('USAGE', `${this.where}: nothing to commit, no manifest was written`);
    const tar = await this.#archive();
    const manifest = [{ Config: image.config, RepoTags: image.repoTags, Layers: image.layers }];
    await tar.addBytes('manifest.json', Buffer.from(JSON.stringify(manifest)), options);
    if (image.repoTags.length > 0 && image.topDiffId) {
      // The pre-manifest.json format names images by their top layer; loaders that read manifest.json ignore it.
      const repositories: Record<string, Record<string, string>> = {};
      for (const tag of image.repoTags) {
        const ref = parseReference(tag);
        (repositories[repositoryPath(ref)] ??= {})[ref.tag!] = digestHex(image.topDiffId);
      }
      await tar.addBytes('repositories', Buffer.from(JSON.stringify(repositories)), options);
    }
    await tar.finish();
    await publishArchive(tar.path, this.path, { replace: false, where: this.where });
    this.#committed = true;
  }

  /** Deletes the unfinished temp archive. */
  async discard(): Promise<void> {
    if (this.#committed) return;
    const tar = await this.#tar?.catch(() => undefined);
    await tar?.discard();
  }
}
