import type { Digest } from '../../oci/digest.ts';

/** One image whose signatures the UI asks about. */
export interface SignedImage {
  repository: string;
  /** The tag the row shows (a digest-only image has none). */
  tag?: string | undefined;
  digest: Digest;
}

/** A policy's verdict on an image. */
export interface SignatureVerdict {
  verified: boolean;
  /** Why not (or which key/identity, when verified), one line for people. */
  reason?: string | undefined;
}

/**
 * The seam for "verified" in the UI: whoever assembles the server (the
 * `serve` command, given a policy) supplies a verifier; without one the UI
 * shows only which signatures are present. It is called for images that
 * have a signature, per store generation, and must not write anything.
 */
export type SignatureVerifier = (image: SignedImage, options: { signal?: AbortSignal | undefined }) => Promise<SignatureVerdict>;
