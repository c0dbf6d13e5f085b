import type { Digest } from '../oci/digest.ts';
import type { BlobPutResult } from '../repository/repository.ts';

/**
 * What a run knows about blobs at destinations, shared by every image copied
 * in it (one `ferry copy`, or a whole `ferry sync` plan): which repositories of
 * a storage already hold a digest (mount candidates), and which transfers are
 * under way, so two images sharing a base never upload it twice at once.
 */
export class BlobTracker {
  /** storageId → digest → repositories known to hold it. */
  private readonly known = new Map<string, Map<Digest, Set<string>>>();
  /** `storageId|repository|digest` → the transfer in progress. */
  private readonly inflight = new Map<string, Promise<BlobPutResult>>();

  holders(storageId: string, digest: Digest): string[] {
    return [...(this.known.get(storageId)?.get(digest) ?? [])];
  }

  has(storageId: string, repository: string, digest: Digest): boolean {
    return this.known.get(storageId)?.get(digest)?.has(repository) ?? false;
  }

  remember(storageId: string, repository: string, digest: Digest): void {
    let byDigest = this.known.get(storageId);
    if (!byDigest) this.known.set(storageId, (byDigest = new Map()));
    let repos = byDigest.get(digest);
    if (!repos) byDigest.set(digest, (repos = new Set()));
    repos.add(repository);
  }

  /**
   * Runs `transfer` unless the same blob is already on its way to the same
   * repository, in which case it waits for that one. A repository-level key
   * is deliberate: another repository of the same registry mounts from the
   * first once it lands (see {@link holders}), which the caller arranges by
   * also calling {@link underWay}.
   */
  async once(storageId: string, repository: string, digest: Digest, transfer: () => Promise<BlobPutResult>): Promise<BlobPutResult | 'joined'> {
    const key = `${storageId}|${repository}|${digest}`;
    const running = this.inflight.get(key);
    if (running) {
      await running;
      return 'joined';
    }
    const promise = transfer();
    this.inflight.set(key, promise);
    try {
      const result = await promise;
      this.remember(storageId, repository, digest);
      return result;
    } finally {
      this.inflight.delete(key);
    }
  }

  /**
   * The transfers of `digest` into `storageId` under way, settled together
   * (so the caller can mount instead of uploading once they land), or
   * undefined when there are none. It answers at once: a caller that finds
   * none and calls {@link once} in the same turn cannot race another image
   * into a second upload.
   */
  underWay(storageId: string, digest: Digest): Promise<void> | undefined {
    const prefix = `${storageId}|`;
    const suffix = `|${digest}`;
    const pending = [...this.inflight].filter(([k]) => k.startsWith(prefix) && k.endsWith(suffix)).map(([, p]) => p.catch(() => undefined));
    return pending.length === 0 ? undefined : Promise.all(pending).then(() => undefined);
  }
}
