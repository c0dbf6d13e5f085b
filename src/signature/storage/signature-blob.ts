import type { SigstoreSignature } from '../sigstore/sigstore-signature.ts';
import { isRecord } from '../../util/json.ts';

/**
 * containers/image's on-disk form of one signature (`dir:` signature files,
 * lookaside files): a simple signing signature as its raw OpenPGP bytes; any
 * other kind as a zero byte, the format name, a newline and the data
 * (`\0sigstore-json\n{"mimeType", "payload" (base64), "annotations"}`).
 */

const SIGSTORE_FORMAT = 'sigstore-json';

export type DecodedSignature =
  | { kind: 'simple-signing'; blob: Uint8Array }
  | { kind: 'sigstore'; signature: SigstoreSignature }
  | { kind: 'unknown'; why: string };

/** OpenPGP packet tags a signed message can start with: compressed data, one-pass signature, signature. */
const OPENPGP_FIRST_BYTES = new Set([0xa0, 0xa1, 0xa2, 0xa3, 0xc8, 0x90, 0x91, 0x92, 0x93, 0xc4, 0x88, 0x89, 0x8a, 0x8b, 0xc2]);

export function decodeSignatureBlob(blob: Uint8Array): DecodedSignature {
  if (blob.byteLength === 0) return { kind: 'unknown', why: 'empty signature' };
  if (blob[0] !== 0) {
    return OPENPGP_FIRST_BYTES.has(blob[0]!) ? { kind: 'simple-signing', blob } : { kind: 'unknown', why: `unrecognised signature format (first byte 0x${blob[0]!.toString(16)})` };
  }
  const newline = blob.indexOf(0x0a);
  if (newline === -1) return { kind: 'unknown', why: 'signature format name without a newline' };
  const format = Buffer.from(blob.subarray(1, newline)).toString('latin1');
  const data = blob.subarray(newline + 1);
  if (format === 'simple-signing') return { kind: 'simple-signing', blob: data };
  if (format !== SIGSTORE_FORMAT) return { kind: 'unknown', why: `unsupported signature format "${format}"` };
  try {
    const json: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    const mimeType = isRecord(json) ? json['mimeType'] : undefined;
    const payload = isRecord(json) ? json['payload'] : undefined;
    if (typeof mimeType !== 'string' || typeof payload !== 'string') return { kind: 'unknown', why: 'sigstore-json without mimeType or payload' };
    const annotations: Record<string, string> = {};
    const stored = isRecord(json) ? json['annotations'] : undefined;
    if (isRecord(stored)) {
      for (const [k, v] of Object.entries(stored)) if (typeof v === 'string') annotations[k] = v;
    }
    return { kind: 'sigstore', signature: { mimeType, payload: Buffer.from(payload, 'base64'), annotations } };
  } catch {
    return { kind: 'unknown', why: 'sigstore-json that is not JSON' };
  }
}

/** The stored form of a sigstore signature (simple signing signatures are stored as they are). */
export function encodeSigstoreSignature(sig: SigstoreSignature): Uint8Array {
  const json = JSON.stringify({ mimeType: sig.mimeType, payload: Buffer.from(sig.payload).toString('base64'), annotations: sig.annotations });
  return Buffer.concat([Buffer.from([0]), Buffer.from(`${SIGSTORE_FORMAT}\n`), Buffer.from(json)]);
}
