import { FerryError, isFerryError, throwIfAborted } from '../errors.ts';
import { copyImage } from '../copy/copy-image.ts';
import type { CopyEventListener } from '../copy/events.ts';
import { runImages, type CopyOne, type ImageResult, type RunImagesResult } from '../copy/run-images.ts';
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
import type { StoreImage } from '../transports/layout/layout-graph.ts';

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
  /** Images pushed at once, and blob uploads at once across them (default: the run loop's). */
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
 * indexes, manifests byte for byte), through the one run loop: one blob
 * tracker so each blob is uploaded once and mounted into other repositories,
 * one limit on blob uploads, `jobs` images at a time, a final pass for
 * failures that may pass. An image whose destination already has its digest
 * (HEAD) is skipped.
 */
export async function pushStore(store: LayoutStore, images: readonly StoreImage[], options: PushStoreOptions): Promise<PushStoreResult> {
  const session = options.session ?? new OpenSession();
  const source = layoutRepository(store, '');
  const plans = planPush(images, options);
  const mappings = new Map<string, RepositoryMapping>();
  const record = (plan: PushPlan): void => {
    if (plan.sourceRepository === undefined || typeof plan.target === 'string') return;
    const mirrorRepository = `${plan.target.registry}/${plan.target.repository}`;
    mappings.set(`${plan.sourceRepository} ${mirrorRepository}`, { sourceRepository: plan.sourceRepository, mirrorRepository });
  };

  const pushOne: CopyOne<PushPlan> = async (plan, run) => {
    const entry = plan.image.entry;
    if (typeof plan.target === 'string') throw new FerryError('INVALID_REFERENCE', plan.target);
    const destination = await openImage({ transport: 'docker', ref: plan.target }, { role: 'destination', access: options.access, session, tlsFlag: '--dest-tls-verify', signal: run.signal });
    const present = await destination.repository.manifestHead(destination.reference ?? entry.digest, { signal: run.signal }).catch((error: unknown) => {
      if (isFerryError(error, 'NOT_FOUND')) return undefined;
      throw error;
    });
    if (present?.digest === entry.digest) {
      record(plan);
      return { status: 'skipped', digest: entry.digest };
    }
    const refName = entryRefName(entry);
    const from: ImageTarget = { repository: source, reference: refName ?? entry.digest, display: `oci:${store.dir}:${refName ?? entry.digest}` };
    const copied = await copyImage({
      source: from,
      destination,
      instances: { mode: 'all' },
      preserveDigests: true,
      limiters: [run.blobLimiter],
      tracker: run.tracker,
      retry: options.retry ?? DEFAULT_RETRY_POLICY,
      signal: run.signal,
      onEvent: options.onEvent,
    });
    const destinationRef = formatReference(plan.target);
    if (copied.digest !== entry.digest) throw new FerryError('DIGEST_CHANGE', `${destinationRef} received ${copied.digest}, expected ${entry.digest}`);
    record(plan);
    return { status: 'copied', digest: copied.digest, bytes: copied.bytesTransferred };
  };

  const pushed = (r: ImageResult<PushPlan>): PushedImage => ({
    name: r.item.image.name,
    source: r.item.image.source,
    destination: typeof r.item.target === 'string' ? '' : formatReference(r.item.target),
    digest: r.item.image.entry.digest,
    // An image the push did not get to is failed, saying why: the push is not complete.
    status: r.status === 'not-run' ? 'failed' : r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    bytes: r.bytes,
  });
  let run: RunImagesResult<PushPlan>;
  try {
    run = await runImages(plans, pushOne, {
      jobs: options.jobs,
      blobJobs: options.blobJobs,
      keepGoing: options.keepGoing,
      signal: options.signal,
      describe: (plan) => plan.image.name,
      onEvent: options.onEvent,
      onResult: (r) => options.onImage?.(pushed(r)),
    });
  } finally {
    if (!options.session) await session.close();
  }
  throwIfAborted(options.signal);
  return { images: run.results.map(pushed), mappings: [...mappings.values()] };
}
