import type { ImageSignatures } from '../signature-types.ts';
import { gpgVerify } from '../simple-signing/gpg.ts';
import { ATOMIC_SIGNATURE_TYPE, COSIGN_SIGNATURE_TYPE, digestMatches, parsePayload } from '../simple-signing/payload.ts';
import { verifyBundle } from '../sigstore/cosign-bundle.ts';
import { verifySigstore } from '../sigstore/sigstore-signature.ts';
import { checkSignedIdentity } from './identity-rules.ts';
import type { PolicyRequirement } from './policy-format.ts';
import { keySourceOf, type PolicyKeys } from './policy-keys.ts';
import type { EvaluateInput } from './policy-evaluate.ts';

/** What the policy's keys made of one signature. */
export interface SignatureCheck {
  kind: 'simple-signing' | 'sigstore' | 'sigstore-bundle';
  /** Where it was found: lookaside URL, file, tag or referrer. */
  location: string;
  /** The identity it claims (read from the verified payload). */
  identity?: string | undefined;
  /** The manifest digest it claims. */
  digest?: string | undefined;
  /** The key that verified it (GPG fingerprint, or the policy's key source), or the GPG key ID that made it. */
  key?: string | undefined;
  /** Accepted by a requirement: good signature, trusted key, right digest and identity. */
  verified: boolean;
  /** The requirement (1-based) that judged it. */
  requirement?: number | undefined;
  /** Why it was not accepted. */
  problem?: string | undefined;
}

type SignatureRequirement = Extract<PolicyRequirement, { type: 'signedBy' | 'sigstoreSigned' }>;

export interface RequirementOutcome {
  allowed: boolean;
  reason?: string | undefined;
  checks: SignatureCheck[];
}

/** The claims of a verified payload against the manifest and the signedIdentity rule: undefined when acceptable. */
function payloadProblem(bytes: Uint8Array, type: string, req: SignatureRequirement, input: EvaluateInput): { problem?: string; identity?: string; digest?: string } {
  const payload = parsePayload(bytes, type);
  if ('invalid' in payload) return { problem: `invalid signature payload: ${payload.invalid}` };
  const claims = { identity: payload.dockerReference, digest: payload.manifestDigest };
  if (!digestMatches(payload.manifestDigest, input.manifest.bytes)) {
    return { ...claims, problem: `digest mismatch: the signature is for ${payload.manifestDigest}, the manifest is ${input.manifest.digest}` };
  }
  const mismatch = checkSignedIdentity(req.signedIdentity, input.name.identity, payload.dockerReference);
  return mismatch === undefined ? claims : { ...claims, problem: `identity mismatch: ${mismatch}` };
}

function summary(kind: string, checks: readonly SignatureCheck[], extra: string[] = []): string {
  const problems = [...checks.map((c) => `${c.location}: ${c.problem ?? 'not accepted'}`), ...extra];
  if (checks.length === 0) return [`no ${kind} signature found`, ...extra].join('; ');
  return checks.length === 1 && extra.length === 0 ? problems[0]! : `none of ${checks.length} ${kind} signatures was accepted: ${problems.join('; ')}`;
}

type Verified = { ok: true; payload: Uint8Array; key: string } | { ok: false; problem: string; key?: string | undefined };

/** Judges each signature: cryptographic check first, then the payload's digest and identity claims. */
async function judgeEach<S extends { location: string }>(
  signatures: readonly S[],
  kind: SignatureCheck['kind'],
  type: string,
  req: SignatureRequirement,
  input: EvaluateInput,
  index: number,
  verify: (sig: S) => Promise<Verified> | Verified,
): Promise<SignatureCheck[]> {
  const checks: SignatureCheck[] = [];
  for (const sig of signatures) {
    const check: SignatureCheck = { kind, location: sig.location, verified: false, requirement: index };
    checks.push(check);
    const v = await verify(sig);
    check.key = v.key;
    if (!v.ok) {
      check.problem = v.problem;
      continue;
    }
    Object.assign(check, payloadProblem(v.payload, type, req, input));
    check.verified = check.problem === undefined;
  }
  return checks;
}

/** The requirement's keys, or the refusal that a key that cannot be read means. */
async function keysOf<T>(load: Promise<T>): Promise<T | { refusal: RequirementOutcome }> {
  try {
    return await load;
  } catch (error) {
    return { refusal: { allowed: false, reason: (error as Error).message, checks: [] } };
  }
}

async function checkSignedBy(req: Extract<PolicyRequirement, { type: 'signedBy' }>, keys: PolicyKeys, sigs: ImageSignatures, input: EvaluateInput, index: number): Promise<RequirementOutcome> {
  if (req.keyType !== 'GPGKeys') return { allowed: false, reason: `keyType ${req.keyType} is not supported yet`, checks: [] };
  const keyring = await keysOf(keys.keyring(req));
  if ('refusal' in keyring) return keyring.refusal;
  const checks = await judgeEach(sigs.simple, 'simple-signing', ATOMIC_SIGNATURE_TYPE, req, input, index, async (sig) => {
    const v = await gpgVerify(sig.blob, keyring, { signal: input.signal });
    if (v.ok) return { ok: true, payload: v.payload, key: v.primaryFingerprint };
    return { ok: false, problem: v.reason.startsWith('signed by key') ? `wrong key: ${v.reason}` : `invalid signature: ${v.reason}`, key: v.keyId };
  });
  const accepted = checks.some((c) => c.verified);
  return { allowed: accepted, reason: accepted ? undefined : summary('simple signing (GPG)', checks), checks };
}

async function checkSigstoreSigned(req: Extract<PolicyRequirement, { type: 'sigstoreSigned' }>, keys: PolicyKeys, sigs: ImageSignatures, input: EvaluateInput, index: number): Promise<RequirementOutcome> {
  if (req.fulcio !== undefined || req.pki !== undefined) {
    return { allowed: false, reason: `keyless sigstore verification (${req.fulcio ? 'Fulcio' : 'PKI'} certificates) is not supported yet by ferry`, checks: [] };
  }
  if (req.rekorPublicKeyPath ?? req.rekorPublicKeyPaths ?? req.rekorPublicKeyData ?? req.rekorPublicKeyDatas) {
    return { allowed: false, reason: 'Rekor transparency-log verification (rekorPublicKey*) is not supported yet by ferry', checks: [] };
  }
  const publicKeys = await keysOf(keys.sigstoreKeys(req));
  if ('refusal' in publicKeys) return publicKeys.refusal;
  const checks = await judgeEach(sigs.sigstore, 'sigstore', COSIGN_SIGNATURE_TYPE, req, input, index, (sig) => {
    const v = verifySigstore(sig, publicKeys);
    if (v.ok) return { ok: true, payload: sig.payload, key: keySourceOf(req) };
    return { ok: false, problem: v.reason.includes('does not verify') ? `wrong key or altered signature: ${v.reason}` : `invalid signature: ${v.reason}` };
  });
  const extra: string[] = [];
  for (const bundle of sigs.bundles) {
    const v = verifyBundle(bundle.bundle, input.manifest.digest, input.manifest.bytes, publicKeys);
    const problem = v.ok ? 'a cosign v3 bundle names no registry identity, so it cannot satisfy signedIdentity (not supported yet)' : v.reason;
    checks.push({ kind: 'sigstore-bundle', location: bundle.location, verified: false, requirement: index, key: v.ok ? keySourceOf(req) : undefined, problem });
    extra.push(`${bundle.location}: ${problem}`);
  }
  const accepted = checks.some((c) => c.verified);
  const judged = checks.filter((c) => c.kind === 'sigstore');
  return { allowed: accepted, reason: accepted ? undefined : summary('sigstore', judged, extra), checks };
}

/** Judges the image's signatures by one signedBy or sigstoreSigned requirement. */
export function checkSignatures(req: SignatureRequirement, keys: PolicyKeys, sigs: ImageSignatures, input: EvaluateInput, index: number): Promise<RequirementOutcome> {
  return req.type === 'signedBy' ? checkSignedBy(req, keys, sigs, input, index) : checkSigstoreSigned(req, keys, sigs, input, index);
}
