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
import { TarFileWriter, TarStreamWriter, archiveTempPath, existingFileSize, publishArchive, removeStaleArchiveTemps } from '../../tar/index.ts';
import { configDiffIds } from './archive-manifest.ts';
import { decompressingIterable, withDiffId } from './layer-content.ts';

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

/** Where the archive goes: a file moved into place at commit, or a stream read by someone else (a daemon's load). */
type Sink =
  | { kind: 'file'; path: string; tar: Promise<TarFileWriter> | undefined }
  | { kind: 'stream'; tar: TarStreamWriter; started: boolean; onStart: ((archive: Readable) => void) | undefined };

/**
 * Writes one image as a `docker save` tar, streaming each blob as it arrives.
 *
 * To a file ({@link open}): into `PATH.ferry-tmp-…`, the config as `<hex>.json`,
 * each layer decompressed (gzip, zstd) as `<diff_id hex>.tar`, the compressed
 * digest verified on the way. {@link commit} appends `manifest.json` and
 * `repositories` and moves the file to PATH; until then PATH is untouched.
 * Like skopeo it refuses to replace an existing non-empty archive.
 *
 * To a stream ({@link toStream}): nothing touches the disk, so every entry's
 * size must be known up front and layers travel as they come (compressed or
 * not: `docker load` and Podman decompress them); their diff_ids are still
 * computed on the way and checked against the config before `manifest.json`
 * is written. A failure in the middle of a blob breaks the stream, and a
 * reader that never sees `manifest.json` loads nothing.
 */
export class DockerArchiveWriter {
  readonly where: string;
  readonly #sink: Sink;
  readonly #written = new Map<Digest, Written & { size: number }>();
  #image: { config: string; configDigest: Digest; layers: string[]; repoTags: string[]; topDiffId: Digest | undefined } | undefined;
  #committed = false;

  private constructor(sink: Sink, where: string) {
    this.#sink = sink;
    this.where = where;
  }

  /** The archive file this writer makes; undefined for a stream. */
  get path(): string | undefined {
    return this.#sink.kind === 'file' ? this.#sink.path : undefined;
  }

  static async open(path: string, where: string): Promise<DockerArchiveWriter> {
    const size = await existingFileSize(path, where);
    if (size !== undefined && size > 0) {
      throw new FerryError('UNSUPPORTED', `${where}: ${path} already exists; a docker-archive cannot be modified`, {
        hint: 'remove the file or write to another path',
      });
    }
    await removeStaleArchiveTemps(path);
    return new DockerArchiveWriter({ kind: 'file', path, tar: undefined }, where);
  }

  /**
   * A writer whose archive is a stream. `onStart` receives it when the first
   * blob is written, so a copy that fails before that never starts a load.
   */
  static toStream(where: string, onStart?: (archive: Readable) => void): DockerArchiveWriter {
    return new DockerArchiveWriter({ kind: 'stream', tar: new TarStreamWriter(), started: false, onStart }, where);
  }

  /** The archive's bytes, for a stream writer. */
  get stream(): Readable | undefined {
    return this.#sink.kind === 'stream' ? this.#sink.tar.stream : undefined;
  }

  /** For a stream writer: whether its reader (not this writer) ended the stream early, e.g. a load that failed. */
  get readerGone(): boolean {
    return this.#sink.kind === 'stream' && this.#sink.tar.readerGone;
  }

  /** Digest of the config of the image recorded by {@link manifestPut}, i.e. the image ID a daemon gives it. */
  get configDigest(): Digest | undefined {
    return this.#image?.configDigest;
  }

  /** The file archive, created on the first write so a copy that fails early leaves no file at all. */
  #fileTar(sink: Extract<Sink, { kind: 'file' }>): Promise<TarFileWriter> {
    sink.tar ??= TarFileWriter.create(archiveTempPath(sink.path));
    return sink.tar;
  }

  #streamTar(sink: Extract<Sink, { kind: 'stream' }>): TarStreamWriter {
    if (!sink.started) {
      sink.started = true;
      sink.onStart?.(sink.tar.stream);
    }
    return sink.tar;
  }

  blobHead(digest: Digest): number | undefined {
    return this.#written.get(digest)?.size;
  }

  async blobPut(descriptor: Descriptor, data: Readable, options: CallOptions = {}): Promise<BlobPutResult> {
    if (this.#written.has(descriptor.digest)) {
      data.destroy();
      return 'exists';
    }
    // The archive first: bytes start flowing with the pipe, and a blob refused before anyone reads it must find a reader.
    const sink = this.#sink;
    const tar = sink.kind === 'file' ? await this.#fileTar(sink) : this.#streamTar(sink);
    const verifier = verifyingStream(descriptor, { where: `${this.where}: blob ${descriptor.digest}` });
    data.on('error', (err) => verifier.destroy(err));
    // Whoever iterates `verified` later gets its error; until then it must not count as unhandled.
    verifier.on('error', () => undefined);
    const verified = data.pipe(verifier);
    try {
      return await this.#append(tar, descriptor, verified, options);
    } finally {
      // On failure the tar was cut back (file) or broken (stream); stop whatever still streams.
      if (!verifier.readableEnded) verifier.destroy();
    }
  }

  async #append(tar: TarFileWriter | TarStreamWriter, descriptor: Descriptor, verified: Readable, options: CallOptions): Promise<BlobPutResult> {
    if (isConfigMediaType(descriptor.mediaType)) {
      const name = `${digestHex(descriptor.digest)}.json`;
      const keep = descriptor.size <= MAX_CONFIG_BYTES ? [] as Buffer[] : undefined;
      const kept = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of verified as AsyncIterable<Buffer>) {
          keep?.push(chunk);
          yield chunk;
        }
      };
      if (tar instanceof TarFileWriter) await tar.addStream(kept(), () => name, { signal: options.signal });
      else await tar.addKnownFile(name, descriptor.size, kept(), { signal: options.signal });
      this.#written.set(descriptor.digest, { kind: 'config', name, bytes: keep && Buffer.concat(keep), size: descriptor.size });
      return 'uploaded';
    }
    if (tar instanceof TarStreamWriter) {
      // Layers travel as they come; only their content is hashed (on a side branch) for the diff_id check.
      const { data, diffId } = withDiffId(verified);
      const name = `${digestHex(descriptor.digest)}.tar`;
      await tar.addKnownFile(name, descriptor.size, data, { signal: options.signal });
      this.#written.set(descriptor.digest, { kind: 'layer', name, diffId: await diffId(), size: descriptor.size });
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
    this.#image = { config: config.name, configDigest: parsed.manifest.config.digest, layers: layers.map((l) => l.name), repoTags, topDiffId: layers.at(-1)?.diffId };
  }

  /** Ends the tar with manifest.json and repositories and moves it to PATH (or ends the stream). */
  async commit(options: CallOptions = {}): Promise<void> {
    const image = this.#image;
    if (!image) throw new FerryError('USAGE', `${this.where}: nothing to commit, no manifest was written`);
    const sink = this.#sink;
    const tar = sink.kind === 'file' ? await this.#fileTar(sink) : this.#streamTar(sink);
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
    if (sink.kind === 'file') await publishArchive((tar as TarFileWriter).path, sink.path, { replace: false, where: this.where });
    this.#committed = true;
  }

  /** Deletes the unfinished temp archive, or cuts the stream short so its reader loads nothing. */
  async discard(): Promise<void> {
    if (this.#committed) return;
    const sink = this.#sink;
    if (sink.kind === 'stream') {
      sink.tar.destroy(new FerryError('ABORTED', `${this.where}: the copy stopped before the image was complete`));
      return;
    }
    const tar = await sink.tar?.catch(() => undefined);
    await tar?.discard();
  }
}
