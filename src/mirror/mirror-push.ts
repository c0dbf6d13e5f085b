import { FerryError, isFerryError, throwIfAborted, type ErrorCode } from '../errors.ts';
import { copyImage, type CopyImageResult } from '../copy/copy-image.ts';
import type { CopyEventListener } from '../copy/events.ts';
import { runImages, type CopyOne, type ImageResult, type RunImagesResult } from '../copy/run-images.ts';
import type { Digest } from '../oci/digest.ts';
import type { TransportRef } from '../ref/transport-ref.ts';
import { CompanionGate, companionLeftOut, imagesThenCompanions } from '../signature/companion-gate.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import { attributeAccessFailure } from '../copy/access-failure.ts';
import { copySigned, summarizeSignatures, withSignatureSession, type SignatureSummary } from '../signature/signed-copy.ts';
import { companionSubjects } from './store/store-companions.ts';
import { formatReference, type ImageReference } from '../ref/reference.ts';
import type { FlattenLevel } from '../sync/config/sync-spec.ts';
import { flattenRepository } from '../sync/select/flatten.ts';
import { failureOf } from '../sync/engine/run-plan.ts';
import { entryRefName, entryRepository, entrySource, layoutRepository, splitRefName, type LayoutStore } from '../transports/layout/index.ts';
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
  /**
   * Signature policy, carrying and signing (`--policy`, `--registries.d`,
   * `--remove-signatures`, `--sign-by`, …), or a session to share. Store
   * images that record their source are judged as that registry image.
   */
  signatures?: SignatureOptions | SignatureSession | undefined;
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
  /** A failure's error code, and what to try. */
  code?: ErrorCode | undefined;
  hint?: string | undefined;
  bytes: number;
  /** Signatures carried and made for it (absent when none). */
  signatures?: SignatureSummary | undefined;
}

export interface PushStoreResult {
  images: PushedImage[];
  /** Source repository → mirror repository, for every image pushed or already there that records its source. */
  mappings: RepositoryMapping[];
}

interface PushPlan {
  image: StoreImage;
  /** For an attachment (a `sha256-<hex>.sig`… name, a referrer): the manifest it is about. */
  subject?: Digest | undefined;
  /** Where it goes, or why it cannot go anywhere. */
  target: ImageReference | string;
  sourceRepository?: string | undefined;
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
    const src = entrySource(image.entry);
    const repo = entryRepository(image.entry);
    if (src && repo !== undefined && !sourcePathOf.has(repo)) sourcePathOf.set(repo, src);
  }
  const plans = images.map((image): PushPlan => {
    const entry = image.entry;
    const refName = entryRefName(entry);
    const storeRepo = entryRepository(entry);
    const src = entrySource(image.entry) ?? (storeRepo !== undefined ? sourcePathOf.get(storeRepo) : undefined);
    const path = src?.repository ?? storeRepo;
    if (path === undefined) return { image, target: `"${image.name}" names no repository and records no source; name it REPOSITORY:TAG` };
    let repository: string;
    try {
      repository = flattenRepository(path, options.prefix, options.flatten ?? 0);
    } catch (error) {
      return { image, target: (error as Error).message };
    }
    const own = entrySource(image.entry);
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
 *
 * Each image is judged by the signature policy before any of it is pushed
 * (as the registry image it was mirrored from, when the store records one),
 * its GPG signatures go to the destination's lookaside staging, and it is
 * signed when asked. Attachments stored as images of their own (`.sig`,
 * `.att`, `.sbom`, referrers-fallback tags, referrers) follow their image:
 * pushed after every image, only when the image they are about is at the
 * destination (none with `--remove-signatures`).
 */
export async function pushStore(store: LayoutStore, images: readonly StoreImage[], options: PushStoreOptions): Promise<PushStoreResult> {
  return withSignatureSession(options.signatures, (signatures) => pushStoreWith(store, images, options, signatures));
}

async function pushStoreWith(store: LayoutStore, images: readonly StoreImage[], options: PushStoreOptions, signatures: SignatureSession): Promise<PushStoreResult> {
  const session = options.session ?? new OpenSession();
  const source = layoutRepository(store, '');
  const subjects = await companionSubjects(store, images.map((i) => i.entry), options.signal);
  const isCompanion = (plan: PushPlan): boolean => plan.subject !== undefined;
  const all = planPush(images, options).map((plan) => ({ ...plan, subject: subjects.get(plan.image.entry) }));
  const plans = imagesThenCompanions(signatures.removeSignatures ? all.filter((p) => !isCompanion(p)) : all, isCompanion);
  const gate = new CompanionGate(plans.filter((p) => !isCompanion(p)).length);
  const written = new Map<PushPlan, SignatureSummary>();
  const mappings = new Map<string, RepositoryMapping>();
  const record = (plan: PushPlan): void => {
    if (plan.sourceRepository === undefined || typeof plan.target === 'string') return;
    const mirrorRepository = `${plan.target.registry}/${plan.target.repository}`;
    mappings.set(`${plan.sourceRepository} ${mirrorRepository}`, { sourceRepository: plan.sourceRepository, mirrorRepository });
  };

  const pushOne: CopyOne<PushPlan> = async (plan, run) => {
    try {
      const entry = plan.image.entry;
      if (typeof plan.target === 'string') throw new FerryError('INVALID_REFERENCE', plan.target);
      const target: TransportRef = { transport: 'docker', ref: plan.target };
      const destination = { ...(await openImage(target, { role: 'destination', access: options.access, session, tlsFlag: '--dest-tls-verify', signal: run.signal })), transportRef: target };
      const destinationRef = formatReference(plan.target);
      const refName = entryRefName(entry);
      const from = {
        repository: source,
        reference: refName ?? entry.digest,
        display: `oci:${store.dir}:${refName ?? entry.digest}`,
        transportRef: { transport: 'oci', path: store.dir, name: refName } satisfies TransportRef,
      };
      let copied: CopyImageResult;
      try {
        // An attachment waits for its image (which may bring it along), and goes only where its image went.
        if (plan.subject !== undefined && !(await gate.admit(plan.subject, destination.repository, run.signal))) {
          return { status: 'skipped', digest: entry.digest, reason: companionLeftOut(plan.subject, destinationRef) };
        }
        const present = await destination.repository.manifestHead(destination.reference ?? entry.digest, { signal: run.signal }).catch((error: unknown) => {
          if (isFerryError(error, 'NOT_FOUND')) return undefined;
          throw error;
        });
        if (present?.digest === entry.digest) {
          record(plan);
          return { status: 'skipped', digest: entry.digest };
        }
        const copy = {
          source: from,
          destination,
          instances: { mode: 'all' } as const,
          preserveDigests: true,
          limiters: [run.blobLimiter],
          tracker: run.tracker,
          retry: options.retry ?? DEFAULT_RETRY_POLICY,
          signal: run.signal,
          onEvent: options.onEvent,
        };
        // An attachment is about an image, not one to run: the policy does not judge it and it is not signed.
        if (plan.subject !== undefined) copied = await copyImage(copy);
        else {
          const signed = await copySigned(signatures, { ...copy, judgeAs: entrySource(plan.image.entry) });
          const summary = summarizeSignatures(signed.signatures);
          if (summary) written.set(plan, summary);
          copied = signed;
        }
      } catch (error) {
        // A refusal names the mirror registry and the image, with the flag for its credentials, not a blob digest.
        throw attributeAccessFailure(error, { source: from, destination });
      }
      if (copied.digest !== entry.digest) throw new FerryError('DIGEST_CHANGE', `${destinationRef} received ${copied.digest}, expected ${entry.digest}`);
      record(plan);
      return { status: 'copied', digest: copied.digest, bytes: copied.bytesTransferred };
    } finally {
      if (plan.subject === undefined && run.attempt === 1) gate.imageSettled();
    }
  };

  const pushed = (r: ImageResult<PushPlan>): PushedImage => ({
    name: r.item.image.name,
    source: r.item.image.source,
    destination: typeof r.item.target === 'string' ? '' : formatReference(r.item.target),
    digest: r.item.image.entry.digest,
    // An image the push did not get to is failed, saying why: the push is not complete.
    status: r.status === 'not-run' ? 'failed' : r.status,
    ...(r.reason !== undefined ? { reason: r.reason } : {}),
    ...(r.status === 'failed' && r.error ? failureOf(r.error) : {}),
    bytes: r.bytes,
    ...(written.has(r.item) ? { signatures: written.get(r.item) } : {}),
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
