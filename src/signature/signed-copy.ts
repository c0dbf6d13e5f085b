import { copyImage, type CopyImageOptions, type CopyImageResult } from '../copy/copy-image.ts';
import type { ImageReference } from '../ref/reference.ts';
import { SignatureSession, type AdmittedManifest, type SignatureOptions, type SignaturesWritten } from './signature-session.ts';
import { locateSignatures, type SignatureTarget } from './storage/signature-location.ts';
import type { Digest } from '../oci/digest.ts';

export interface SignedCopyOptions extends Omit<CopyImageOptions, 'policy' | 'beforeTag' | 'source' | 'destination'> {
  source: SignatureTarget;
  destination: SignatureTarget;
  /** Judge the source as this registry image (a store image as the image it was mirrored from); see {@link SignatureSession.evaluate}. */
  judgeAs?: ImageReference | undefined;
}

/** A copy's result with what happened to signatures, per manifest written. */
export interface SignedCopyResult extends CopyImageResult {
  signatures: SignaturesWritten[];
}

/**
 * Copies one image under a run's signature session: signing checked
 * possible first; the policy decided on every manifest the copy takes
 * before any blob is written (a refusal leaves nothing at the destination,
 * as in containers/image); the blobs and manifests; then the source's
 * signatures and attachments carried for the manifests written unchanged,
 * and every manifest written (the top one too, when it is a new subset
 * index) signed.
 * In a registry or a layout that happens before the tag that publishes the
 * image (a registry whose signature API keeps them gets the manifest by
 * digest first, as that API needs the image; referrers may come before
 * their subject, as the distribution spec requires): a run stopped in
 * between leaves no tag, so the next run copies the image again and
 * carries them, where it would otherwise skip an image whose tag is there.
 * A `dir:` image appears by a rename at its end; its signatures are written
 * into it after.
 * Every workflow that writes images (copy, sync, mirror pushes) goes through it.
 */
export async function copySigned(session: SignatureSession, options: SignedCopyOptions): Promise<SignedCopyResult> {
  const { source, destination, judgeAs, ...copy } = options;
  session.checkCanSign(destination);
  const admitted: AdmittedManifest[] = [];
  const publish = (named: Digest, imageFirst?: () => Promise<void>): Promise<SignaturesWritten[]> => {
    const carried = admitted.filter((a) => !a.rewritten).map((a) => a.manifest.digest);
    return session.publish({ source, destination, digests: carried, signDigests: [...new Set([...carried, named])], tracker: options.tracker, signal: options.signal, imageFirst });
  };
  const kind = locateSignatures(destination).kind;
  let signatures: SignaturesWritten[] | undefined;
  const beforeTag =
    kind === 'registry' || kind === 'layout'
      ? async (named: { digest: Digest }, putByDigest: () => Promise<void>): Promise<void> => {
          signatures = await publish(named.digest, putByDigest);
        }
      : undefined;
  const result = await copyImage({ ...copy, source, destination, policy: session.policyHook(source, destination, admitted, { judgeAs }), beforeTag });
  signatures ??= await publish(result.digest);
  for (const w of signatures.flatMap((s) => s.warnings)) options.onEvent?.({ type: 'warning', message: w, image: destination.display });
  return { ...result, signatures };
}

/** What one image's signatures came to, for reports: counts over every manifest written. */
export interface SignatureSummary {
  /** Simple signing (GPG) signatures carried. */
  simple: number;
  /** Cosign signatures carried. */
  sigstore: number;
  /** Attachment tags and referrers copied. */
  attachments: number;
  /** Manifests signed here. */
  signed: number;
}

/** Sums {@link SignaturesWritten} rows; undefined when nothing was carried or signed. */
export function summarizeSignatures(written: readonly SignaturesWritten[]): SignatureSummary | undefined {
  const sum: SignatureSummary = { simple: 0, sigstore: 0, attachments: 0, signed: 0 };
  for (const w of written) {
    sum.simple += w.simple;
    sum.sigstore += w.sigstore;
    sum.attachments += w.attachments.length;
    if (w.signed.length > 0) sum.signed++;
  }
  return sum.simple + sum.sigstore + sum.attachments + sum.signed === 0 ? undefined : sum;
}

/**
 * Runs `fn` with `given` when it is a session already (shared with other
 * work, left open), else with a session opened from these options and
 * closed afterwards.
 */
export async function withSignatureSession<T>(given: SignatureOptions | SignatureSession | undefined, fn: (session: SignatureSession) => Promise<T>): Promise<T> {
  if (given instanceof SignatureSession) return fn(given);
  const session = await SignatureSession.open(given);
  try {
    return await fn(session);
  } finally {
    await session.close();
  }
}
