import { copyImage } from '../copy/copy-image.ts';
import type { BlobTracker } from '../copy/blob-tracker.ts';
import { ANNOTATION_SOURCE } from '../oci/descriptor.ts';
import { isDigest, type Digest } from '../oci/digest.ts';
import { attachmentTags } from './sigstore/attachment-manifest.ts';
import { ANNOTATION_REPOSITORY } from '../transports/layout/index.ts';
import { attachmentReference, layoutNameRepository, type SignatureLocation } from './storage/signature-location.ts';

/** What crossed, and what was left because the destination already holds something else under that name. */
export interface AttachmentsCarried {
  copied: string[];
  kept: string[];
}

export interface CarryAttachmentsOptions {
  /** Tags not to copy here (the `.sig` of signatures merged separately). */
  skipTags?: ReadonlySet<string> | undefined;
  /**
   * The source repository's tags (a layout's ref names, whole or within the
   * repository), when listed: an attachment tag not among them is not asked
   * for (one listing per repository instead of a lookup per attachment kind
   * and image). Without it each tag is asked for on its own.
   */
  sourceTags?: ReadonlySet<string> | undefined;
  tracker?: BlobTracker | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Copies what accompanies manifest `digest` from one registry or layout to
 * another, byte for byte: the `sha256-<hex>.sig|.att|.sbom` tags, the
 * referrers fallback tag `sha256-<hex>`, and the manifests the source's
 * referrers API lists (by digest, so they keep their `subject`). A tag the
 * destination already holds with other content is left alone (listed as kept).
 */
export async function carryAttachments(source: SignatureLocation, destination: SignatureLocation, digest: Digest, options: CarryAttachmentsOptions = {}): Promise<AttachmentsCarried> {
  const { signal } = options;
  const result: AttachmentsCarried = { copied: [], kept: [] };
  const src = source.target.repository;
  const dst = destination.target.repository;
  const repository = layoutNameRepository(destination);
  const copyOne = async (from: string, to: string): Promise<void> => {
    const display = isDigest(from) ? `${src.display}@${from}` : `${src.display}:${from}`;
    const annotations: Record<string, string> = {};
    // A store records where each of its images came from; an attachment is no different.
    if (source.kind === 'registry') annotations[ANNOTATION_SOURCE] = display.replace(/^docker:\/\//, '');
    // A referrer kept by digest in a store belongs to its image's repository.
    if (repository !== undefined && isDigest(to)) annotations[ANNOTATION_REPOSITORY] = repository;
    await copyImage({
      source: { repository: src, reference: from, display },
      destination: { repository: dst, reference: to, display: isDigest(to) ? `${dst.display}@${to}` : `${dst.display}:${to}` },
      instances: { mode: 'all' },
      preserveDigests: true,
      annotations,
      tracker: options.tracker,
      signal,
    });
  };
  for (const tag of attachmentTags(digest)) {
    if (options.skipTags?.has(tag)) continue;
    const from = attachmentReference(source, tag);
    if (options.sourceTags !== undefined && !options.sourceTags.has(from) && !options.sourceTags.has(tag)) continue;
    const there = await src.manifestHead(from, { signal });
    if (there === undefined) continue;
    const to = attachmentReference(destination, tag);
    const already = await dst.manifestHead(to, { signal });
    if (already !== undefined) {
      if (already.digest !== there.digest) result.kept.push(`${dst.display}:${to}`);
      continue;
    }
    await copyOne(from, to);
    result.copied.push(to);
  }
  for (const referrer of src.referrers ? await src.referrers(digest, { signal }) : []) {
    if ((await dst.manifestHead(referrer.digest, { signal })) !== undefined) continue;
    await copyOne(referrer.digest, referrer.digest);
    result.copied.push(referrer.digest);
  }
  return result;
}
