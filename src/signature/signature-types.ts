import type { SigstoreSignature } from './sigstore/sigstore-signature.ts';

/**
 * The signatures found for one manifest digest, by kind, each with the place
 * it came from (a lookaside URL, a file, a tag) for messages and listings.
 */

/** A GPG "simple signing" signature: an OpenPGP signed message over the payload. */
export interface SimpleSignature {
  blob: Uint8Array;
  location: string;
}

/** A cosign signature (`.sig` layer, or a `dir:` signature file in containers/image's format). */
export interface LocatedSigstoreSignature extends SigstoreSignature {
  location: string;
}

/** A cosign v3 sigstore bundle found through the referrers API. */
export interface BundleSignature {
  /** The bundle JSON. */
  bundle: Uint8Array;
  /** The referrer manifest digest. */
  location: string;
}

export interface ImageSignatures {
  simple: SimpleSignature[];
  sigstore: LocatedSigstoreSignature[];
  bundles: BundleSignature[];
}

/** No signatures at all. */
export function noSignatures(): ImageSignatures {
  return { simple: [], sigstore: [], bundles: [] };
}

export function signatureCount(s: ImageSignatures): number {
  return s.simple.length + s.sigstore.length + s.bundles.length;
}
