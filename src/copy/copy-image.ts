import { FerryError, throwIfAborted } from '../errors.ts';
import type { Descriptor, ImageIndex } from '../oci/descriptor.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import { manifestBlobs, parseManifest, type RawManifest } from '../oci/manifest.ts';
import { MediaType, isIndexMediaType } from '../oci/media-types.ts';
import type { ImageTarget } from '../repository/repository.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../util/retry.ts';
import { copyBlob, type BlobCopyContext } from './blob-copy.ts';
import { BlobTracker } from './blob-tracker.ts';
import type { CopyEventListener } from './events.ts';
import { Limiter, runLimited } from './limiter.ts';
import { selectInstances, type InstanceSelection } from './select-instances.ts';

/** Blobs copied at once per image when the caller does not say (`--jobs`). */
export const DEFAULT_JOBS = 6;

/**
 * One source manifest the copy is about to take, for a policy check:
 * `rewritten` when the destination will hold a different manifest in its
 * place (a subset of an index), so signatures naming its digest cannot travel.
 */
export interface CopyPolicyCheck {
  manifest: RawManifest;
  rewritten: boolean;
  signal?: AbortSignal | undefined;
}

export interface CopyImageOptions {
  source: ImageTarget;
  destination: ImageTarget;
  /** Which instances of a multi-platform index to copy; default: the current platform, as skopeo. */
  instances?: InstanceSelection | undefined;
  /** Refuse anything that would make the destination digest differ from the source's. */
  preserveDigests?: boolean | undefined;
  /** Annotations recorded with the destination name where the storage keeps them (layouts). */
  annotations?: Record<string, string> | undefined;
  jobs?: number | undefined;
  /** Extra limiters every blob transfer also passes (sync: global and per-registry). */
  limiters?: readonly Limiter[] | undefined;
  /** Shared across the images of one run so blobs are transferred once. */
  tracker?: BlobTracker | undefined;
  retry?: RetryPolicy | undefined;
  /**
   * Decides whether the source may be copied before anything of it is
   * written (policy before bytes): called with the top manifest right after
   * it is fetched when it is copied (an image, or an index copied whole or in
   * part), and with each instance of an index that will be copied. Throw to
   * refuse; nothing has reached the destination then.
   */
  policy?: ((check: CopyPolicyCheck) => Promise<void>) | undefined;
  /**
   * Runs once every blob and child manifest is at the destination, before
   * the top manifest is written under the destination reference (the tag
   * that publishes the image): where a copy writes the image's signatures,
   * so a run stopped in between leaves no tag, and the next run copies the
   * image again and carries them. `putByDigest` writes the top manifest
   * under its digest first (once), for storage that needs the image to
   * exist before anything about it is written.
   */
  beforeTag?: ((named: RawManifest, putByDigest: () => Promise<void>) => Promise<void>) | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
}

export interface CopyImageResult {
  source: string;
  destination: string;
  /** Digest of the manifest the destination reference now points at. */
  digest: Digest;
  mediaType: string;
  /** Bytes that crossed the wire (uploaded blobs; mounted and existing ones excluded). */
  bytesTransferred: number;
  blobs: { uploaded: number; mounted: number; exists: number; skipped: number };
}

/** A manifest with everything needed to write it. */
interface Planned {
  raw: RawManifest;
  blobs: Descriptor[];
}

/**
 * Copies one image (or index) from source to destination: the one copy engine
 * every command uses. Manifests travel byte for byte; blobs stream with their
 * digests verified; every blob lands before the manifest that references it,
 * and the top manifest (the tag) is written last, after whatever
 * {@link CopyImageOptions.beforeTag} writes, so a failure at any point
 * leaves no reference to missing or unverified content.
 */
export async function copyImage(options: CopyImageOptions): Promise<CopyImageResult> {
  const { source, destination, signal } = options;
  const emit: CopyEventListener = options.onEvent ?? (() => undefined);
  const src = source.repository;
  const dst = destination.repository;
  emit({ type: 'image-start', source: source.display, destination: destination.display });

  const topRef = source.reference ?? 'latest';
  const top = await src.manifestGet(topRef, { signal });
  const parsedTop = parseManifest(top.bytes, top.mediaType, source.display);

  // Decide what to write: a list of manifests (children first) and the one the destination reference names.
  const toWrite: Planned[] = [];
  let named: RawManifest;
  const admit = async (manifest: RawManifest, rewritten = false): Promise<void> => options.policy?.({ manifest, rewritten, signal });
  if (parsedTop.kind === 'index') {
    const selection = selectInstances(parsedTop.index, options.instances ?? { mode: 'system' }, source.display);
    if (selection.kind !== 'single') await admit(top, selection.kind !== 'whole');
    emit({ type: 'manifest-resolved', source: source.display, digest: top.digest, mediaType: top.mediaType, instances: parsedTop.index.manifests.length });
    if (selection.kind === 'single') {
      if (options.preserveDigests) {
        throw new FerryError('DIGEST_CHANGE', `${source.display} is a multi-platform index; copying one instance would point the destination at a different digest`, {
          hint: 'copy every instance with --all, or drop --preserve-digests',
        });
      }
      named = await src.manifestGet(selection.instance.digest, { signal });
      await admit(named);
      toWrite.push(planImage(named, source.display));
    } else {
      if (!dst.capabilities.indexes) {
        throw new FerryError('UNSUPPORTED', `${destination.display} holds a single image; ${source.display} is a multi-platform index`, {
          hint: 'pick one instance with --platform os/arch',
        });
      }
      for (const child of selection.instances) {
        const childRaw = await src.manifestGet(child.digest, { signal });
        const parsedChild = parseManifest(childRaw.bytes, childRaw.mediaType, `${source.display}@${child.digest}`);
        if (parsedChild.kind === 'index') {
          throw new FerryError('UNSUPPORTED', `${source.display}: nested index ${child.digest} is not supported`);
        }
        await admit(childRaw);
        toWrite.push(planImage(childRaw, source.display));
      }
      if (selection.kind === 'whole') {
        named = top;
      } else {
        if (options.preserveDigests) {
          throw new FerryError('DIGEST_CHANGE', `copying ${selection.instances.length} of ${parsedTop.index.manifests.length} platforms of ${source.display} writes a new index with a different digest`, {
            hint: 'copy every instance with --all, or drop --preserve-digests',
          });
        }
        named = subsetIndex(parsedTop.index, top.mediaType, selection.instances);
      }
    }
  } else {
    emit({ type: 'manifest-resolved', source: source.display, digest: top.digest, mediaType: top.mediaType, instances: 1 });
    await admit(top);
    named = top;
    toWrite.push({ raw: top, blobs: manifestBlobs(parsedTop.manifest) });
  }
  if (options.preserveDigests && !dst.capabilities.preservesDigests) {
    throw new FerryError('DIGEST_CHANGE', `${destination.display} stores images in a format that changes their digests`, {
      hint: 'drop --preserve-digests, or copy to a registry, oci:, oci-archive: or dir: destination',
    });
  }
  const accepts = dst.capabilities.manifestTypes;
  for (const m of [...toWrite.map((p) => p.raw), named]) {
    if (accepts !== 'any' && !accepts.includes(m.mediaType)) {
      throw new FerryError('UNSUPPORTED', `${destination.display} cannot store ${m.mediaType} manifests`, { hint: `it accepts ${accepts.join(', ')}` });
    }
  }

  const result: CopyImageResult = {
    source: source.display,
    destination: destination.display,
    digest: named.digest,
    mediaType: named.mediaType,
    bytesTransferred: 0,
    blobs: { uploaded: 0, mounted: 0, exists: 0, skipped: 0 },
  };
  const ctx: BlobCopyContext = {
    source: src,
    destination: dst,
    tracker: options.tracker ?? new BlobTracker(),
    retry: options.retry ?? DEFAULT_RETRY_POLICY,
    signal,
    emit,
  };
  const perImage = new Limiter(Math.min(options.jobs ?? DEFAULT_JOBS, dst.capabilities.maxConcurrentBlobWrites));
  const limiters = [...(options.limiters ?? []), perImage];
  const unique = new Map<Digest, Descriptor>();
  for (const planned of toWrite) for (const blob of planned.blobs) if (!unique.has(blob.digest)) unique.set(blob.digest, blob);
  // Settle every blob before failing, so no transfer is left running when the copy reports an error.
  const settled = await Promise.allSettled(
    [...unique.values()].map((blob) =>
      runLimited(limiters, async () => {
        throwIfAborted(signal);
        const { outcome, bytes } = await copyBlob(ctx, blob);
        result.bytesTransferred += bytes;
        if (outcome === 'uploaded') result.blobs.uploaded++;
        else if (outcome === 'mounted') result.blobs.mounted++;
        else if (outcome === 'exists') result.blobs.exists++;
        else result.blobs.skipped++;
      }, signal),
    ),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;

  throwIfAborted(signal);
  for (const planned of toWrite) {
    if (planned.raw !== named) {
      await dst.manifestPut(planned.raw.digest, planned.raw, { signal });
    }
  }
  if (options.beforeTag) {
    let byDigest: Promise<void> | undefined;
    await options.beforeTag(named, () => (byDigest ??= dst.manifestPut(named.digest, named, { signal })));
    throwIfAborted(signal);
  }
  const reference = destination.reference ?? named.digest;
  await dst.manifestPut(reference, named, { signal, annotations: options.annotations, root: true });
  emit({ type: 'manifest-written', destination: destination.display, reference, digest: named.digest });
  await dst.commit?.({ signal });
  emit({ type: 'image-done', source: source.display, destination: destination.display, digest: named.digest, bytesTransferred: result.bytesTransferred });
  return result;
}

function planImage(raw: RawManifest, where: string): Planned {
  const parsed = parseManifest(raw.bytes, raw.mediaType, `${where}@${raw.digest}`);
  if (parsed.kind !== 'image') throw new FerryError('UNSUPPORTED', `${where}@${raw.digest}: expected an image manifest, found an index`);
  return { raw, blobs: manifestBlobs(parsed.manifest) };
}

/** A new index (same media type and annotations) listing only the chosen instances. */
export function subsetIndex(index: ImageIndex, mediaType: string, instances: Descriptor[]): RawManifest {
  const subset: ImageIndex = { ...index, manifests: instances };
  const bytes = Buffer.from(JSON.stringify(subset, null, 2));
  return { bytes, mediaType: isIndexMediaType(mediaType) ? mediaType : MediaType.ociIndex, digest: digestOf(bytes) };
}
