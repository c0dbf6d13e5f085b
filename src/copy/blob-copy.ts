import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Descriptor } from '../oci/descriptor.ts';
import { MediaType } from '../oci/media-types.ts';
import type { Repository } from '../repository/repository.ts';
import { withRetry, type RetryPolicy } from '../util/retry.ts';
import type { BlobTracker } from './blob-tracker.ts';
import type { BlobOutcome, CopyEventListener } from './events.ts';

export interface BlobCopyContext {
  source: Repository;
  destination: Repository;
  tracker: BlobTracker;
  retry: RetryPolicy;
  signal?: AbortSignal | undefined;
  emit: CopyEventListener;
}

const FOREIGN_TYPES = new Set<string>([
  MediaType.dockerForeignLayerGzip,
  'application/vnd.oci.image.layer.nondistributable.v1.tar',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd',
]);

/** Foreign (non-distributable) layers are fetched by clients from their URLs; registries and skopeo do not copy them. */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return FOREIGN_TYPES.has(descriptor.mediaType) && (descriptor.urls?.length ?? 0) > 0;
}

/** Counts bytes for progress without buffering. */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/**
 * Brings one blob to the destination repository by the cheapest way that is
 * certain: already known in this run, already present (HEAD), mounted from a
 * repository of the same storage that holds it, or streamed from the source
 * with digest and size verified by the destination's blobPut. The transfer is
 * retried as a whole (a fresh download and upload) on retryable failures.
 * Returns the outcome and the bytes that crossed the wire.
 */
export async function copyBlob(ctx: BlobCopyContext, descriptor: Descriptor): Promise<{ outcome: BlobOutcome; bytes: number }> {
  const { source, destination, tracker, signal } = ctx;
  const where = destination.display;
  if (isForeignLayer(descriptor)) {
    ctx.emit({ type: 'blob-done', destination: where, digest: descriptor.digest, size: descriptor.size, outcome: 'skipped-foreign' });
    return { outcome: 'skipped-foreign', bytes: 0 };
  }
  const dstStorage = destination.storageId;
  const known = (): { outcome: BlobOutcome; bytes: number } | undefined => {
    if (!tracker.has(dstStorage, destination.repository, descriptor.digest)) return undefined;
    ctx.emit({ type: 'blob-done', destination: where, digest: descriptor.digest, size: descriptor.size, outcome: 'exists' });
    return { outcome: 'exists', bytes: 0 };
  };
  // Another image of this run may be uploading the same blob elsewhere in this storage: wait, then mount.
  // The last look and the start of this transfer happen in one turn, so two images never both upload.
  for (;;) {
    // What was awaited may have been this very repository's transfer (another tag of it): then it is there.
    const there = known();
    if (there) return there;
    const pending = tracker.underWay(dstStorage, descriptor.digest);
    if (pending === undefined) break;
    await pending;
  }
  let bytes = 0;
  const result = await tracker.once(dstStorage, destination.repository, descriptor.digest, async () => {
    // A repository of this storage known to hold the blob: mount straight away (a mount also succeeds
    // when the blob is already there), which saves the HEAD for every image after the first.
    if (destination.capabilities.crossRepoMount && destination.blobMount) {
      const candidates = new Set(tracker.holders(dstStorage, descriptor.digest));
      if (source.storageId === dstStorage) candidates.add(source.repository);
      candidates.delete(destination.repository);
      for (const from of candidates) {
        if (await destination.blobMount(descriptor, from, { signal })) return 'mounted';
      }
    }
    const present = await destination.blobHead(descriptor.digest, { signal });
    if (present !== undefined) return 'exists';
    ctx.emit({ type: 'blob-start', destination: where, digest: descriptor.digest, size: descriptor.size });
    return withRetry(
      async () => {
        bytes = 0;
        const data = await source.blobGet(descriptor, { signal });
        const counted = counter((n) => {
          bytes += n;
          ctx.emit({ type: 'blob-progress', digest: descriptor.digest, bytes: n });
        });
        const piped = pipeline(data, counted).catch((err: unknown) => {
          counted.destroy(err as Error);
        });
        try {
          const outcome = await destination.blobPut(descriptor, counted, { signal });
          await piped;
          return outcome;
        } catch (err) {
          data.destroy();
          counted.destroy();
          throw err;
        }
      },
      {
        policy: ctx.retry,
        signal,
        onRetry: (e) => ctx.emit({ type: 'retry', what: `blob ${descriptor.digest}`, attempt: e.attempt, delayMs: e.delayMs, reason: e.error.message, image: where }),
      },
    );
  });
  const outcome: BlobOutcome = result === 'joined' ? 'exists' : result;
  tracker.remember(dstStorage, destination.repository, descriptor.digest);
  ctx.emit({ type: 'blob-done', destination: where, digest: descriptor.digest, size: descriptor.size, outcome });
  return { outcome, bytes: outcome === 'uploaded' ? bytes : 0 };
}
