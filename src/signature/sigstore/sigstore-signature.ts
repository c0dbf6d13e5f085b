import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { FerryError } from '../../errors.ts';

/**
 * A sigstore (cosign) signature as it travels in a `sha256-<hex>.sig`
 * manifest: one layer whose blob is the simple-signing payload, with the
 * base64 signature of that payload in an annotation. Kept as payload plus
 * annotations (as containers/image does) so annotations ferry does not know
 * (certificates, Rekor bundles) survive a copy.
 */
export interface SigstoreSignature {
  mimeType: string;
  payload: Uint8Array;
  annotations: Record<string, string>;
}

/** Media type of a cosign signature layer. */
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
/** The layer annotation holding the base64 signature of the payload. */
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
/** Keyless (Fulcio) signatures carry their certificate here. */
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';

/** Hash cosign signs with for every key type except Ed25519 (which hashes internally). */
function hashFor(key: KeyObject): string | null {
  return key.asymmetricKeyType === 'ed25519' ? null : 'sha256';
}

/** Public keys of a PEM file or keyData (one or more `PUBLIC KEY` blocks). */
export function parsePublicKeys(data: Uint8Array, where: string): KeyObject[] {
  const text = Buffer.from(data).toString('utf8');
  const blocks = text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
  if (blocks.length === 0) throw new FerryError('INVALID_CONFIG', `${where} holds no PEM public key ("-----BEGIN PUBLIC KEY-----")`);
  return blocks.map((block) => {
    try {
      return createPublicKey(block);
    } catch (error) {
      throw new FerryError('INVALID_CONFIG', `${where}: unreadable public key (${(error as Error).message})`, { cause: error });
    }
  });
}

/** Signs a payload as cosign does (SHA-256, ECDSA signatures DER-encoded). */
export function signSigstore(payload: Uint8Array, privateKey: KeyObject): SigstoreSignature {
  const signature = sign(hashFor(privateKey), payload, privateKey);
  return { mimeType: SIMPLE_SIGNING_MEDIA_TYPE, payload, annotations: { [SIGNATURE_ANNOTATION]: signature.toString('base64') } };
}

/** Which key verified the signature, or why none did. */
export type SigstoreVerification = { ok: true; key: number } | { ok: false; reason: string };

/** Verifies a signature's payload against each key in turn. */
export function verifySigstore(sig: SigstoreSignature, keys: readonly KeyObject[]): SigstoreVerification {
  if (sig.mimeType !== SIMPLE_SIGNING_MEDIA_TYPE) return { ok: false, reason: `unexpected signature media type ${sig.mimeType}` };
  const encoded = sig.annotations[SIGNATURE_ANNOTATION];
  if (encoded === undefined) return { ok: false, reason: `the layer has no ${SIGNATURE_ANNOTATION} annotation` };
  const raw = Buffer.from(encoded, 'base64');
  if (raw.length === 0) return { ok: false, reason: 'the signature annotation is empty or not base64' };
  for (const [i, key] of keys.entries()) {
    try {
      if (verify(hashFor(key), sig.payload, key, raw)) return { ok: true, key: i };
    } catch {
      // A key of another type cannot verify this signature; try the next.
    }
  }
  return { ok: false, reason: keys.length === 1 ? 'the signature does not verify with the trusted key' : `the signature verifies with none of the ${keys.length} trusted keys` };
}
