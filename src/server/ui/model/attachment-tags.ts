import { digestHex, type Digest } from '../../../oci/digest.ts';

/**
 * Tags that attach things to a manifest instead of naming an image: cosign's
 * `sha256-<hex>.sig` / `.att` / `.sbom`, and the OCI referrers fallback tag
 * `sha256-<hex>` (an index of the manifest's referrers, for registries
 * without the referrers API).
 */
export const ATTACHMENT_TAG_RE = /^sha256-[a-f0-9]{64}(?:\.(?:sig|att|sbom))?$/;

export type AttachmentKind = 'signature' | 'attestation' | 'sbom' | 'referrers';

const SUFFIXES: ReadonlyArray<[AttachmentKind, string]> = [['signature', '.sig'], ['attestation', '.att'], ['sbom', '.sbom'], ['referrers', '']];

/** The attachment tags a manifest may have, by kind (only sha256 digests have them). */
export function attachmentTags(digest: Digest): ReadonlyArray<{ kind: AttachmentKind; tag: string }> {
  if (!digest.startsWith('sha256:')) return [];
  const base = `sha256-${digestHex(digest)}`;
  return SUFFIXES.map(([kind, suffix]) => ({ kind, tag: `${base}${suffix}` }));
}

/** Whether a tag is an attachment rather than an image name. */
export function isAttachmentTag(tag: string): boolean {
  return ATTACHMENT_TAG_RE.test(tag);
}
