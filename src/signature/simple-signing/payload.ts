import { digestAlgorithm, digestOf, isDigest, type Digest } from '../../oci/digest.ts';

/**
 * The "simple signing" payload (containers-signature(5)): what a GPG
 * signature and a cosign signature both sign.
 *
 * ```json
 * {"critical": {"type": "atomic container signature",
 *               "image": {"docker-manifest-digest": "sha256:…"},
 *               "identity": {"docker-reference": "registry.example/ns/app:1.0"}},
 *  "optional": {"creator": "…", "timestamp": 1700000000}}
 * ```
 *
 * Parsing is as strict as containers/image's: `critical` and its members
 * must hold exactly the known keys, so a signer cannot smuggle in claims a
 * verifier would ignore.
 */

/** `critical.type` of GPG simple signing ("atomic") signatures. */
export const ATOMIC_SIGNATURE_TYPE = 'atomic container signature';
/** `critical.type` of cosign / sigstore signatures. */
export const COSIGN_SIGNATURE_TYPE = 'cosign container image signature';
/** Signature payloads are a few hundred bytes; containers/image caps signature bodies at 4 MiB. */
export const MAX_SIGNATURE_BYTES = 4 * 1024 * 1024;

export interface SignaturePayload {
  type: string;
  /** `critical.identity.docker-reference`: the reference the signer vouches for (untrusted until verified). */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`. */
  manifestDigest: string;
  creator?: string | undefined;
  timestamp?: number | undefined;
}

/** The payload bytes to sign: compact JSON, as containers/image writes it. */
export function buildPayload(type: string, dockerReference: string, manifestDigest: Digest, creator: string, timestamp: number): Uint8Array {
  const payload = {
    critical: {
      identity: { 'docker-reference': dockerReference },
      image: { 'docker-manifest-digest': manifestDigest },
      type,
    },
    optional: { creator, timestamp },
  };
  return Buffer.from(JSON.stringify(payload));
}

class PayloadError extends Error {}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PayloadError(`${where} is not a JSON object`);
  return value as Record<string, unknown>;
}

function exactKeys(value: Record<string, unknown>, keys: readonly string[], where: string): void {
  const actual = Object.keys(value).sort();
  const expected = [...keys].sort();
  if (actual.length !== expected.length || actual.some((k, i) => k !== expected[i])) {
    throw new PayloadError(`${where} must hold exactly ${expected.join(', ')} (found ${actual.join(', ') || 'nothing'})`);
  }
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new PayloadError(`${where} is not a string`);
  return value;
}

/**
 * Parses an untrusted payload of the given `type`. Returns the payload, or a
 * sentence saying why it is not one.
 */
export function parsePayload(bytes: Uint8Array, type: string): SignaturePayload | { invalid: string } {
  try {
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString('utf8'));
    } catch {
      throw new PayloadError('the payload is not JSON');
    }
    const top = object(json, 'the payload');
    exactKeys(top, ['critical', 'optional'], 'the payload');
    const critical = object(top['critical'], 'critical');
    exactKeys(critical, ['type', 'image', 'identity'], 'critical');
    const claimedType = string(critical['type'], 'critical.type');
    if (claimedType !== type) throw new PayloadError(`unexpected signature type "${claimedType}" (expected "${type}")`);
    const image = object(critical['image'], 'critical.image');
    exactKeys(image, ['docker-manifest-digest'], 'critical.image');
    const identity = object(critical['identity'], 'critical.identity');
    exactKeys(identity, ['docker-reference'], 'critical.identity');
    const result: SignaturePayload = {
      type: claimedType,
      manifestDigest: string(image['docker-manifest-digest'], 'critical.image.docker-manifest-digest'),
      dockerReference: string(identity['docker-reference'], 'critical.identity.docker-reference'),
    };
    // cosign writes "optional": null when there are no annotations.
    if (top['optional'] !== null || type !== COSIGN_SIGNATURE_TYPE) {
      const optional = object(top['optional'], 'optional');
      if (optional['creator'] !== undefined) result.creator = string(optional['creator'], 'optional.creator');
      if (optional['timestamp'] !== undefined) {
        const t = optional['timestamp'];
        if (typeof t !== 'number' || !Number.isSafeInteger(t)) throw new PayloadError('optional.timestamp is not an integer');
        result.timestamp = t;
      }
    }
    return result;
  } catch (error) {
    if (error instanceof PayloadError) return { invalid: error.message };
    throw error;
  }
}

/** Whether a signed manifest digest is the digest of `manifest` (in the signed digest's algorithm). */
export function digestMatches(claimed: string, manifest: Uint8Array): boolean {
  if (!isDigest(claimed)) return false;
  try {
    return digestOf(manifest, digestAlgorithm(claimed)) === claimed;
  } catch {
    return false;
  }
}
