import { createHash } from 'node:crypto';
import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestOf, type Digest } from '../../oci/digest.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import { MediaType } from '../../oci/media-types.ts';
import { parseReference, withDefaultTag, type ImageReference } from '../../ref/reference.ts';
import type { CallOptions } from '../../repository/repository.ts';
import { decompressor, readFileRange, sniffCompression, type Compression, type TarIndexEntry } from '../../tar/index.ts';
import type { ArchiveFileReader } from './archive-file-reader.ts';
import { configDiffIds, type ArchiveImageEntry } from './archive-manifest.ts';

/** Docker's media type of an uncompressed layer tar (what a docker-archive stores). */
export const DOCKER_LAYER_TAR = 'application/vnd.docker.image.rootfs.diff.tar';

/** Where a blob of the synthesized manifest comes from. */
export interface ArchiveBlob {
  entry: TarIndexEntry;
  /** How the bytes are stored; anything but 'none' is decompressed when served. */
  compression: Compression;
  size: number;
}

/** One archive image seen as a registry image: a Docker schema 2 manifest and its blobs. */
export interface ArchiveImage {
  manifest: RawManifest;
  blobs: Map<Digest, ArchiveBlob>;
  repoTags: readonly string[];
}

function sameImage(a: ImageReference, b: ImageReference): boolean {
  return a.registry === b.registry && a.repository === b.repository && a.tag === b.tag;
}

/**
 * Picks an image of the archive: the N-th, the one whose RepoTags hold `ref`
 * (compared normalised: `app:1` matches `docker.io/library/app:1`), or the
 * only one.
 */
export function selectArchiveImage(images: readonly ArchiveImageEntry[], select: { ref?: ImageReference | undefined; index?: number | undefined }, where: string): ArchiveImageEntry {
  if (images.length === 0) throw new FerryError('NOT_FOUND', `${where}: the archive holds no image`);
  if (select.index !== undefined) {
    const image = images[select.index];
    if (!image) throw new FerryError('NOT_FOUND', `${where}: no image @${select.index}; the archive holds ${images.length} (@0 to @${images.length - 1})`);
    return image;
  }
  if (select.ref !== undefined) {
    const wanted = withDefaultTag(select.ref);
    const image = images.find((img) => img.RepoTags.some((tag) => {
      try {
        return sameImage(withDefaultTag(parseReference(tag)), wanted);
      } catch {
        return false; // A malformed RepoTag of another image must not break selection.
      }
    }));
    if (!image) {
      const names = images.flatMap((i) => i.RepoTags);
      throw new FerryError('NOT_FOUND', `${where}: no image is tagged ${wanted.repository}:${wanted.tag ?? ''}`, {
        hint: names.length > 0 ? `the archive holds ${names.join(', ')}` : 'the archive holds only untagged images; select one with :@N',
      });
    }
    return image;
  }
  if (images.length > 1) {
    throw new FerryError('USAGE', `${where}: the archive holds ${images.length} images; say which`, { hint: 'append :REF (e.g. :app:1.0) or :@N (0-based) to the path' });
  }
  return images[0]!;
}

/** Hashes and counts a compressed layer's uncompressed content: one pass, done once per open archive. */
async function measureCompressed(archive: ArchiveFileReader, entry: TarIndexEntry, compression: Compression, signal: AbortSignal | undefined): Promise<{ digest: Digest; size: number }> {
  const unzip = decompressor(compression)!;
  const source = archive.openEntry(entry, signal);
  source.on('error', (err) => unzip.destroy(err));
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source.pipe(unzip) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.byteLength;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

/**
 * Builds the manifest skopeo shows for an archive image: config digest = the
 * sha256 of the config file; layers = uncompressed tars named by the config's
 * diff_ids. Layers stored uncompressed are not hashed here (their digest is
 * the diff_id and the copy verifies it); compressed ones are decompressed once
 * to learn size and digest, and must match their diff_id.
 */
export async function loadArchiveImage(archive: ArchiveFileReader, image: ArchiveImageEntry, options: CallOptions = {}): Promise<ArchiveImage> {
  const where = archive.where;
  const configBytes = await archive.readSmallFile(image.Config);
  const configEntry = archive.file(image.Config);
  const configDigest = digestOf(configBytes);
  const diffIds = configDiffIds(configBytes, `${where}: ${image.Config}`);
  if (diffIds.length !== image.Layers.length) {
    throw new FerryError('INVALID_MANIFEST', `${where}: the config lists ${diffIds.length} layers (rootfs.diff_ids) but manifest.json lists ${image.Layers.length}`);
  }
  const blobs = new Map<Digest, ArchiveBlob>();
  blobs.set(configDigest, { entry: configEntry, compression: 'none', size: configBytes.byteLength });
  const layers: Descriptor[] = [];
  for (const [i, path] of image.Layers.entries()) {
    const entry = archive.file(path);
    const compression = sniffCompression(await readFileRange(archive.tarPath, entry.dataOffset, Math.min(entry.size, 4)));
    const diffId = diffIds[i]!;
    let size = entry.size;
    if (compression !== 'none') {
      const measured = await measureCompressed(archive, entry, compression, options.signal);
      if (measured.digest !== diffId) {
        throw new FerryError('CORRUPT', `${where}: layer ${path} decompresses to ${measured.digest}, but the config's rootfs.diff_ids say ${diffId}`);
      }
      size = measured.size;
    }
    blobs.set(diffId, { entry, compression, size });
    layers.push({ mediaType: DOCKER_LAYER_TAR, size, digest: diffId });
  }
  // Field order as skopeo prints it, so `inspect --raw` output reads the same.
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaType.dockerManifest,
    config: { mediaType: MediaType.dockerConfig, size: configBytes.byteLength, digest: configDigest },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { manifest: { bytes, mediaType: MediaType.dockerManifest, digest: digestOf(bytes) }, blobs, repoTags: image.RepoTags };
}
