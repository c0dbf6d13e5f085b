import { copyImage } from '../copy/copy-image.ts';
import type { BlobTracker } from '../copy/blob-tracker.ts';
import type { Digest } from '../oci/digest.ts';
import { attachmentTags } from './sigstore/attachment-manifest.ts';
import { attachmentReference, type SignatureLocation } from './storage/signature-location.ts';

/** What crossed, and what was left because the destination already holds something else under that name. */
export interface AttachmentsCarried {
  copied: string[];
  kept: string[];
}

export interface CarryAttachmentsOptions {
  /** Tags not to copy here (the `.sig` of signatures merged separately). */
  skipTags?: ReadonlySet<string> | undefined;
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
  const copyOne = async (from: string, to: string): Promise<void> => {
    await copyImage({
      source: { repository: src, reference: from, display: `${src.display}:${from}` },
      destination: { repository: dst, reference: to, display: `${dst.display}:${to}` },
      instances: { mode: 'all' },
      preserveDigests: true,
      tracker: options.tracker,
      signal,
    });
  };
  for (const tag of attachmentTags(digest)) {
    if (options.skipTags?.has(tag)) continue;
    const from = attachmentReference(source, tag);
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
