import { FerryError, isFerryError, throwIfAborted } from '../errors.ts';
import { BlobTracker } from '../copy/blob-tracker.ts';
import { copyImage } from '../copy/copy-image.ts';
import type { CopyEventListener } from '../copy/events.ts';
import { Limiter } from '../copy/limiter.ts';
import type { Digest } from '../oci/digest.ts';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.ts';
import type { FlattenLevel } from '../sync/config/sync-spec.ts';
import { flattenRepository } from '../sync/select/flatten.ts';
import type { ImageTarget } from '../repository/repository.ts';
import { entryRefName, entryRepository, layoutRepository, splitRefName, type LayoutStore } from '../transports/layout/index.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';
import { OpenSession } from '../repository/open-session.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../util/retry.ts';
import type { RepositoryMapping } from './cluster-resources.ts';
import { imageName, type StoreImage } from './store/store-graph.ts';

/** Images pushed at once, and blob uploads at once across them (sync's defaults). */
export const DEFAULT_PUSH_JOBS = 4;
export const DEFAULT_PUSH_BLOB_JOBS = 12;

export interface PushStoreOptions {
  /** Target registry host (`mirror.internal:5000`). */
  registry: string;
  /** Namespace under which the source repository paths go ('' for none). */
  prefix: string;
  /** Harbor flattening of the source path under `prefix` (default 0: keep it whole). */
  flatten?: FlattenLevel | undefined;
  access?: AccessOptions | undefined;
  /** Shared connections; default: the push opens and closes its own. */
  session?: OpenSession | undefined;
  jobs?: number | undefined;
  blobJobs?: number | undefined;
  retry?: RetryPolicy | undefined;
  /** Go on past failed images (default: stop at the first). */
  keepGoing?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
  onImage?: ((image: PushedImage) => void) | undefined;
}

export interface PushedImage {
  /** The store's name for it (`ns/app:1.0`, `ns/app@sha256:…`). */
  name: string;
  source?: string | undefined;
  destination: string;
  digest: Digest;
  status: 'copied' | 'skipped' | 'failed';
  reason?: string | undefined;
  bytes: number;
}

export interface PushStoreResult {
  images: PushedImage[];
  /** Source repository → mirror repository, for every image pushed or already there that records its source. */
  mappings: RepositoryMapping[];
}

interface PushPlan {
  image: StoreImage;
  /** Where it goes, or why it cannot go anywhere. */
  target: ImageReference | string;
  sourceRepository?: string | undefined;
}

function parseSource(source: string | undefined): ImageReference | undefined {
  if (source === undefined) return undefined;
  try {
    return parseReference(source);
  } catch {
    return undefined;
  }
}

/**
 * Names every image of a store at the mirror: the repository path of its
 * recorded source (else its store repository) under `prefix`, flattened; its
 * source tag (else its store tag), or its digest when untagged. Untagged
 * records (referrers) follow the tagged images of their store repository.
 */
export function planPush(images: readonly StoreImage[], options: Pick<PushStoreOptions, 'registry' | 'prefix' | 'flatten'>): PushPlan[] {
  const sourcePathOf = new Map<string, ImageReference>();
  for (const image of images) {
    const src = parseSource(image.source);
    const repo = entryRepository(image.entry);
    if (src && repo !== undefined && !sourcePathOf.has(repo)) sourcePathOf.set(repo, src);
  }
  const plans = images.map((image): PushPlan => {
    const entry = image.entry;
    const refName = entryRefName(entry);
    const storeRepo = entryRepository(entry);
    const src = parseSource(image.source) ?? (storeRepo !== undefined ? sourcePathOf.get(storeRepo) : undefined);
    const path = src?.repository ?? storeRepo;
    if (path === undefined) return { image, target: `"${image.name}" names no repository and records no source; name it REPOSITORY:TAG` };
    let repository: string;
    try {
      repository = flattenRepository(path, options.prefix, options.flatten ?? 0);
    } catch (error) {
      return { image, target: (error as Error).message };
    }
    const own = parseSource(image.source);
    const tag = refName !== undefined ? (own?.tag ?? (own?.digest === undefined ? splitRefName(refName)?.tag : undefined)) : undefined;
    const target: ImageReference = tag !== undefined ? { registry: options.registry, repository, tag } : { registry: options.registry, repository, digest: entry.digest };
    return { image, target, sourceRepository: src ? `${src.registry}/${src.repository}` : undefined };
  });
  // Subjects before their referrers: tagged images first, in store order.
  return [...plans.filter((p) => entryRefName(p.image.entry) !== undefined), ...plans.filter((p) => entryRefName(p.image.entry) === undefined)];
}

/**
 * Pushes every image of a store to a registry, digests unchanged (whole
 * indexes, manifests byte for byte), with the copy engine: one blob tracker
 * for the run so each blob is uploaded once and mounted into other
 * repositories, one limit on blob uploads, `jobs` images at a time. An image
 * whose destination already has its digest (HEAD) is skipped.
 */
export async function pushStore(store: LayoutStore, images: readonly StoreImage[], options: PushStoreOptions): Promise<PushStoreResult> {
  const session = options.session ?? new OpenSession();
  const tracker = new BlobTracker();
  const blobLimiter = new Limiter(options.blobJobs ?? DEFAULT_PUSH_BLOB_JOBS);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const source = layoutRepository(store, '');
  const plans = planPush(images, options);
  const results: PushedImage[] = new Array(plans.length);
  const mappings = new Map<string, RepositoryMapping>();

  const pushOne = async (plan: PushPlan): Promise<PushedImage> => {
    const entry = plan.image.entry;
    const base = { name: plan.image.name, source: plan.image.source, digest: entry.digest };
    if (typeof plan.target === 'string') return { ...base, destination: '', status: 'failed', reason: plan.target, bytes: 0 };
    const destinationRef = formatReference(plan.target);
    const record = (): void => {
      if (plan.sourceRepository === undefined || typeof plan.target === 'string') return;
      const mirrorRepository = `${plan.target.registry}/${plan.target.repository}`;
      mappings.set(`${plan.sourceRepository} ${mirrorRepository}`, { sourceRepository: plan.sourceRepository, mirrorRepository });
    };
    let destination: ImageTarget | undefined;
    try {
      destination = await openImage({ transport: 'docker', ref: plan.target }, { role: 'destination', access: options.access, session, tlsFlag: '--dest-tls-verify', signal });
      const present = await destination.repository.manifestHead(destination.reference ?? entry.digest, { signal }).catch((error: unknown) => {
        if (isFerryError(error) && error.code === 'NOT_FOUND') return undefined;
        throw error;
      });
      if (present?.digest === entry.digest) {
        record();
        return { ...base, destination: destinationRef, status: 'skipped', bytes: 0 };
      }
      const refName = entryRefName(entry);
      const from: ImageTarget = { repository: source, reference: refName ?? entry.digest, display: `oci:${store.dir}:${refName ?? entry.digest}` };
      const copied = await copyImage({
        source: from,
        destination,
        instances: { mode: 'all' },
        preserveDigests: true,
        limiters: [blobLimiter],
        tracker,
        retry: options.retry ?? DEFAULT_RETRY_POLICY,
        signal,
        onEvent: options.onEvent,
      });
      if (copied.digest !== entry.digest) throw new FerryError('DIGEST_CHANGE', `${destinationRef} received ${copied.digest}, expected ${entry.digest}`);
      record();
      return { ...base, destination: destinationRef, status: 'copied', bytes: copied.bytesTransferred };
    } finally {
      await destination?.repository.close();
    }
  };

  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(options.jobs ?? DEFAULT_PUSH_JOBS, plans.length)) }, async () => {
    while (next < plans.length && !signal.aborted) {
      const i = next++;
      const plan = plans[i]!;
      let result: PushedImage;
      try {
        result = await pushOne(plan);
      } catch (error) {
        if (!isFerryError(error)) throw error;
        if (stop.signal.aborted && error.code === 'ABORTED') continue;
        const destination = typeof plan.target === 'string' ? '' : formatReference(plan.target);
        result = { name: plan.image.name, source: plan.image.source, destination, digest: plan.image.entry.digest, status: 'failed', reason: error.message, bytes: 0 };
      }
      results[i] = result;
      options.onImage?.(result);
      if (result.status === 'failed' && !options.keepGoing) stop.abort(new FerryError('REGISTRY', `${result.name}: ${result.reason ?? 'failed'}`));
    }
  });
  try {
    await Promise.all(workers);
  } finally {
    if (!options.session) await session.close();
  }
  throwIfAborted(options.signal);
  const pushed = plans.map(
    (p, i) =>
      results[i] ?? { name: imageName(p.image.entry), source: p.image.source, destination: typeof p.target === 'string' ? '' : formatReference(p.target), digest: p.image.entry.digest, status: 'failed' as const, reason: 'not run: the push stopped at an earlier failure', bytes: 0 },
  );
  return { images: pushed, mappings: [...mappings.values()] };
}
