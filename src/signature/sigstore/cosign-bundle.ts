import { createHash, verify, type KeyObject } from 'node:crypto';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestAlgorithm, digestHex, type Digest } from '../../oci/digest.ts';
import { parseManifest } from '../../oci/manifest.ts';
import type { Repository } from '../../repository/repository.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';
import type { BundleSignature } from '../signature-types.ts';
import { readSmallBlob } from '../../repository/read-small-blob.ts';
import { isRecord } from '../../util/json.ts';

/**
 * cosign v3 signatures: a sigstore bundle (JSON) stored as an OCI 1.1
 * referrer of the image (artifactType `application/vnd.dev.sigstore.bundle…`),
 * found through the referrers API. The bundle signs either a DSSE envelope
 * around an in-toto statement whose subject is the image digest, or the
 * manifest bytes directly (`messageSignature`). Bundles name no registry
 * identity, so they are recognised and verified here but cannot satisfy a
 * policy's signedIdentity rules.
 */

const BUNDLE_PREFIX = 'application/vnd.dev.sigstore.bundle';

/** Whether a referrer descriptor is a sigstore bundle. */
export function isBundleReferrer(descriptor: Descriptor): boolean {
  return descriptor.artifactType?.startsWith(BUNDLE_PREFIX) === true;
}

/** The bundles the repository's referrers API lists for `digest`. */
export async function readBundles(repo: Repository, digest: Digest, signal: AbortSignal | undefined): Promise<BundleSignature[]> {
  const referrers = repo.referrers ? await repo.referrers(digest, { signal }) : [];
  const out: BundleSignature[] = [];
  for (const referrer of referrers.filter(isBundleReferrer)) {
    const raw = await repo.manifestGet(referrer.digest, { signal });
    const parsed = parseManifest(raw.bytes, raw.mediaType, `${repo.display}@${referrer.digest}`);
    if (parsed.kind !== 'image') continue;
    for (const layer of parsed.manifest.layers.filter((l) => l.mediaType.startsWith(BUNDLE_PREFIX))) {
      out.push({ bundle: await readSmallBlob(repo, layer, { limit: MAX_SIGNATURE_BYTES, what: 'signature data', signal }), location: `${repo.display}@${referrer.digest}` });
    }
  }
  return out;
}

/** DSSE pre-authentication encoding: what a DSSE signature signs. */
export function dssePae(payloadType: string, payload: Uint8Array): Buffer {
  const type = Buffer.from(payloadType);
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.byteLength} `), Buffer.from(payload)]);
}

function verifyWithAny(data: Uint8Array, signature: Uint8Array, keys: readonly KeyObject[]): number {
  for (const [i, key] of keys.entries()) {
    try {
      if (verify(key.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, key, signature)) return i;
    } catch {
      // Another key type; try the next key.
    }
  }
  return -1;
}

function subjectMatches(statement: unknown, digest: Digest): boolean {
  const subjects = isRecord(statement) ? statement['subject'] : undefined;
  if (!Array.isArray(subjects)) return false;
  return subjects.some((s: unknown) => isRecord(s) && isRecord(s['digest']) && s['digest'][digestAlgorithm(digest)] === digestHex(digest));
}

/** The outcome of checking one bundle against the trusted keys. */
export type BundleVerification = { ok: true; key: number } | { ok: false; reason: string };

/** Verifies a bundle's signature with the keys and that it is about `manifestDigest` (bytes `manifest`). */
export function verifyBundle(bundle: Uint8Array, manifestDigest: Digest, manifest: Uint8Array, keys: readonly KeyObject[]): BundleVerification {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bundle).toString('utf8'));
  } catch {
    return { ok: false, reason: 'the bundle is not JSON' };
  }
  const dsse = isRecord(json) && isRecord(json['dsseEnvelope']) ? json['dsseEnvelope'] : undefined;
  if (dsse && typeof dsse['payload'] === 'string' && typeof dsse['payloadType'] === 'string' && Array.isArray(dsse['signatures'])) {
    const payload = Buffer.from(dsse['payload'], 'base64');
    const first: unknown = dsse['signatures'][0];
    const sig = isRecord(first) ? first['sig'] : undefined;
    if (typeof sig !== 'string') return { ok: false, reason: 'the DSSE envelope has no signature' };
    const key = verifyWithAny(dssePae(dsse['payloadType'], payload), Buffer.from(sig, 'base64'), keys);
    if (key < 0) return { ok: false, reason: 'the bundle signature does not verify with a trusted key' };
    let statement: unknown;
    try {
      statement = JSON.parse(payload.toString('utf8'));
    } catch {
      return { ok: false, reason: 'the signed statement is not JSON' };
    }
    return subjectMatches(statement, manifestDigest) ? { ok: true, key } : { ok: false, reason: `the signed statement is not about ${manifestDigest}` };
  }
  const message = isRecord(json) && isRecord(json['messageSignature']) ? json['messageSignature'] : undefined;
  if (message && typeof message['signature'] === 'string') {
    const hashed = createHash('sha256').update(manifest).digest('base64');
    const messageDigest = message['messageDigest'];
    if (!isRecord(messageDigest) || messageDigest['digest'] !== hashed) return { ok: false, reason: `the bundle signs another artifact than ${manifestDigest}` };
    const key = verifyWithAny(manifest, Buffer.from(message['signature'], 'base64'), keys);
    return key < 0 ? { ok: false, reason: 'the bundle signature does not verify with a trusted key' } : { ok: true, key };
  }
  return { ok: false, reason: 'the bundle holds neither a DSSE envelope nor a message signature' };
}
