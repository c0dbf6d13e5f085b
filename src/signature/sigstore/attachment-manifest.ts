import { FerryError } from '../../errors.ts';
import type { Descriptor, ImageManifest } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestHex, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { parseManifest, type RawManifest } from '../../oci/manifest.ts';
import { MediaType } from '../../oci/media-types.ts';
import type { Repository } from '../../repository/repository.ts';
import { readSmallBlob } from '../../repository/read-small-blob.ts';
import { putSmallBlob } from '../../repository/put-small-blob.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';
import type { SigstoreSignature } from './sigstore-signature.ts';

/**
 * cosign's tag layout: content about image `sha256:<hex>` lives in the same
 * repository under `sha256-<hex>.sig` (signatures), `.att` (attestations),
 * `.sbom` (SBOMs), and OCI referrers indexes under `sha256-<hex>` (the
 * referrers tag schema of registries without the referrers API).
 */

/** The tag of one kind of attachment of `digest`; '' is the referrers fallback tag. */
export function attachmentTag(digest: Digest, suffix: '.sig' | '.att' | '.sbom' | ''): string {
  return `${digestAlgorithm(digest)}-${digestHex(digest)}${suffix}`;
}

/** `<alg>-<hex>[.sig|.att|.sbom]` at the end of a tag or ref name (`ns/app:sha256-….sig`). */
const ATTACHMENT_TAG_RE = /(?:^|:)([a-z0-9]+)-([a-f0-9]{32,})(?:\.sig|\.att|\.sbom)?$/;

/**
 * The manifest an attachment tag (or a layout ref name ending in one) is
 * about: `sha256-<hex>.sig` → `sha256:<hex>`; undefined for any other name.
 */
export function attachmentSubject(reference: string | undefined): Digest | undefined {
  const m = reference === undefined ? null : ATTACHMENT_TAG_RE.exec(reference);
  const digest = m ? `${m[1]}:${m[2]}` : '';
  return isDigest(digest) ? digest : undefined;
}

/** Every attachment tag of `digest`, signatures first. */
export function attachmentTags(digest: Digest): string[] {
  return (['.sig', '.att', '.sbom', ''] as const).map((s) => attachmentTag(digest, s));
}

/** A `.sig` manifest and the signatures its layers hold. */
export interface SigstoreAttachment {
  manifest: RawManifest;
  parsed: ImageManifest;
  signatures: SigstoreSignature[];
}

/** Reads the `.sig` manifest at `reference`, or undefined when there is none. */
export async function readSigstoreAttachment(repo: Repository, reference: string, signal: AbortSignal | undefined): Promise<SigstoreAttachment | undefined> {
  if ((await repo.manifestHead(reference, { signal })) === undefined) return undefined;
  const manifest = await repo.manifestGet(reference, { signal });
  const parsed = parseManifest(manifest.bytes, manifest.mediaType, `${repo.display}:${reference}`);
  if (parsed.kind !== 'image') throw new FerryError('INVALID_MANIFEST', `${repo.display}:${reference}: a signature manifest must be an image manifest, not an index`);
  const signatures: SigstoreSignature[] = [];
  for (const layer of parsed.manifest.layers) {
    const payload = await readSmallBlob(repo, layer, { limit: MAX_SIGNATURE_BYTES, what: 'signature data', signal });
    signatures.push({ mimeType: layer.mediaType, payload, annotations: { ...layer.annotations } });
  }
  return { manifest, parsed: parsed.manifest, signatures };
}

/** How many signatures the `.sig` manifest at `reference` holds (its layers), read from the manifest alone. */
export async function countSigstoreLayers(repo: Repository, reference: string, signal: AbortSignal | undefined): Promise<number> {
  const manifest = await repo.manifestGet(reference, { signal });
  const parsed = parseManifest(manifest.bytes, manifest.mediaType, `${repo.display}:${reference}`);
  return parsed.kind === 'image' ? parsed.manifest.layers.length : 0;
}

function sameSignature(layer: Descriptor, sig: SigstoreSignature): boolean {
  const a = layer.annotations ?? {};
  const keys = Object.keys(a);
  return (
    layer.mediaType === sig.mimeType &&
    layer.digest === digestOf(sig.payload) &&
    keys.length === Object.keys(sig.annotations).length &&
    keys.every((k) => a[k] === sig.annotations[k])
  );
}

interface AttachmentConfig {
  rootfs: { type: string; diff_ids: string[] };
  [key: string]: unknown;
}

async function existingConfig(repo: Repository, existing: SigstoreAttachment | undefined, signal: AbortSignal | undefined): Promise<AttachmentConfig> {
  const fresh: AttachmentConfig = { architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [] } };
  if (existing === undefined) return fresh;
  try {
    const json: unknown = JSON.parse((await readSmallBlob(repo, existing.parsed.config, { limit: MAX_SIGNATURE_BYTES, what: 'signature data', signal })).toString('utf8'));
    if (typeof json !== 'object' || json === null) return fresh;
    const config = json as AttachmentConfig;
    const diffIds = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
    return { ...config, rootfs: { type: 'layers', diff_ids: Array.isArray(diffIds) ? diffIds.filter((d): d is string => typeof d === 'string') : [] } };
  } catch {
    // An unreadable config is rebuilt: only the layers carry signatures.
    return fresh;
  }
}

/**
 * Writes `.sig` at `reference` holding the existing signatures plus `added`
 * (duplicates skipped), as containers/image and cosign append: one layer per
 * signature, the payload digests repeated as the config's diff_ids.
 * Returns how many signatures were new.
 */
export async function writeSigstoreAttachment(
  repo: Repository,
  reference: string,
  added: readonly SigstoreSignature[],
  signal: AbortSignal | undefined,
): Promise<number> {
  const existing = await readSigstoreAttachment(repo, reference, signal).catch(() => undefined);
  const layers = [...(existing?.parsed.layers ?? [])];
  const config = await existingConfig(repo, existing, signal);
  let fresh = 0;
  for (const sig of added) {
    if (layers.some((l) => sameSignature(l, sig))) continue;
    const layer = await putSmallBlob(repo, sig.payload, sig.mimeType, { signal });
    layers.push({ ...layer, annotations: { ...sig.annotations } });
    config.rootfs.diff_ids.push(layer.digest);
    fresh++;
  }
  if (fresh === 0 && existing !== undefined) return 0;
  const configDescriptor = await putSmallBlob(repo, Buffer.from(JSON.stringify(config)), MediaType.ociConfig, { signal });
  const manifest: ImageManifest = { schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDescriptor, layers };
  const bytes = Buffer.from(JSON.stringify(manifest));
  await repo.manifestPut(reference, { bytes, mediaType: MediaType.ociManifest, digest: digestOf(bytes) }, { signal });
  await repo.commit?.({ signal });
  return fresh;
}
