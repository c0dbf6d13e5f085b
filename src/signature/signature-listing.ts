import type { SignatureCheck } from './policy/signature-checks.ts';
import type { ImageSignatures } from './signature-types.ts';
import { gpgInspect, type GpgKeyring } from './simple-signing/gpg.ts';
import { ATOMIC_SIGNATURE_TYPE, COSIGN_SIGNATURE_TYPE, parsePayload } from './simple-signing/payload.ts';

/**
 * Every signature found for a manifest, for listings: the policy's verdict
 * where a requirement judged it, else what it claims (unverified: identity,
 * digest, GPG key ID) and that no requirement of the policy checked it.
 */
export async function listSignatures(found: ImageSignatures, judged: readonly SignatureCheck[], emptyKeyring: () => Promise<GpgKeyring>, signal?: AbortSignal): Promise<SignatureCheck[]> {
  const rows: SignatureCheck[] = [];
  const judgedRow = (kind: SignatureCheck['kind'], location: string) => judged.find((c) => c.kind === kind && c.location === location);
  const unchecked = 'not checked: no requirement of the policy applies to this kind of signature';
  for (const sig of found.simple) {
    const row = judgedRow('simple-signing', sig.location);
    if (row) {
      rows.push(row);
      continue;
    }
    const inspected = await gpgInspect(sig.blob, await emptyKeyring(), { signal });
    const payload = inspected === undefined ? undefined : parsePayload(inspected.payload, ATOMIC_SIGNATURE_TYPE);
    rows.push({
      kind: 'simple-signing',
      location: sig.location,
      verified: false,
      key: inspected?.keyId,
      ...(payload && !('invalid' in payload) ? { identity: payload.dockerReference, digest: payload.manifestDigest } : {}),
      problem: inspected === undefined ? 'unreadable OpenPGP message' : unchecked,
    });
  }
  for (const sig of found.sigstore) {
    const row = judgedRow('sigstore', sig.location);
    if (row) {
      rows.push(row);
      continue;
    }
    const payload = parsePayload(sig.payload, COSIGN_SIGNATURE_TYPE);
    rows.push({
      kind: 'sigstore',
      location: sig.location,
      verified: false,
      ...('invalid' in payload ? {} : { identity: payload.dockerReference, digest: payload.manifestDigest }),
      problem: 'invalid' in payload ? `invalid payload: ${payload.invalid}` : unchecked,
    });
  }
  for (const bundle of found.bundles) rows.push(judgedRow('sigstore-bundle', bundle.location) ?? { kind: 'sigstore-bundle', location: bundle.location, verified: false, problem: unchecked });
  return rows;
}
