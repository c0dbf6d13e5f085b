import { FerryError } from '../../errors.ts';
import type { RawManifest } from '../../oci/manifest.ts';
import { signatureDebug } from '../../util/debug-channels.ts';
import type { ImageSignatures } from '../signature-types.ts';
import { checkSignatures, type SignatureCheck } from './signature-checks.ts';
import type { PolicyFile, PolicyRequirement } from './policy-format.ts';
import type { LoadedPolicy } from './policy-file.ts';
import { keySourceOf, type PolicyKeys } from './policy-keys.ts';
import type { PolicyName } from './policy-scopes.ts';

/** The requirements that apply to an image and which entry of the policy they came from. */
export interface AppliedRequirements {
  requirements: PolicyRequirement[];
  /** `docker scope "quay.io/ns"`, `docker default ""` or `default`. */
  scope: string;
}

/**
 * The requirements for an image: its transport's most specific matching
 * scope, else the transport default `""`, else the global default. Only the
 * most specific match applies (containers-policy.json(5)).
 */
export function requirementsFor(policy: PolicyFile, name: PolicyName): AppliedRequirements {
  const scopes = policy.transports?.[name.transport];
  if (scopes !== undefined) {
    for (const scope of name.scopes) {
      const found = scopes[scope];
      if (found !== undefined) return { requirements: found, scope: `${name.transport} scope "${scope}"` };
    }
    const fallback = scopes[''];
    if (fallback !== undefined) return { requirements: fallback, scope: `${name.transport} default ""` };
  }
  return { requirements: policy.default, scope: 'default' };
}

/** A one-line description of a requirement for messages. */
export function describeRequirement(req: PolicyRequirement): string {
  switch (req.type) {
    case 'signedBy':
      return `signedBy (${req.keyType} ${keySourceOf(req)}, ${req.signedIdentity?.type ?? 'matchRepoDigestOrExact'})`;
    case 'sigstoreSigned':
      return `sigstoreSigned (${req.fulcio ? 'Fulcio' : req.pki ? 'PKI' : `key ${keySourceOf(req)}`}, ${req.signedIdentity?.type ?? 'matchRepoDigestOrExact'})`;
    default:
      return req.type;
  }
}

export interface RequirementResult {
  /** 1-based, as a user counts them in the file. */
  index: number;
  description: string;
  allowed: boolean;
  reason?: string | undefined;
}

/** The decision on one manifest and everything that led to it. */
export interface PolicyDecision {
  image: string;
  digest: string;
  allowed: boolean;
  /** The policy file, `--insecure-policy`, or `no policy file`. */
  policy: string;
  scope: string;
  requirements: RequirementResult[];
  /** Each signature found, with what the policy's keys made of it. */
  signatures: SignatureCheck[];
  /** For a refusal: the requirement that failed and why. */
  reason?: string | undefined;
}

export interface EvaluateInput {
  name: PolicyName;
  /** The image for messages (`docker://host/ns/app:1.0`). */
  display: string;
  /** The manifest whose digest signatures must name. */
  manifest: RawManifest;
  /** The image's signatures, fetched only when a requirement needs them. */
  signatures: () => Promise<ImageSignatures>;
  signal?: AbortSignal | undefined;
}

/**
 * Evaluates a policy as containers/image does: every requirement of the
 * applicable list must allow the image; a signature requirement is met by
 * one signature that verifies with its keys, names the manifest's digest and
 * an identity its signedIdentity rule accepts.
 */
export async function evaluatePolicy(loaded: LoadedPolicy, keys: PolicyKeys, input: EvaluateInput): Promise<PolicyDecision> {
  const policyName = loaded.origin === 'file' ? loaded.path ?? 'policy' : loaded.origin === 'insecure' ? '--insecure-policy' : 'no policy file';
  const base = { image: input.display, digest: input.manifest.digest, policy: policyName };
  if (loaded.policy === undefined) return { ...base, allowed: true, scope: 'none', requirements: [], signatures: [] };
  const { requirements, scope } = requirementsFor(loaded.policy, input.name);
  signatureDebug(`policy for ${input.display}: ${scope} (${requirements.map(describeRequirement).join(', ')})`);
  const results: RequirementResult[] = [];
  let checks: SignatureCheck[] = [];
  let loadedSignatures: ImageSignatures | undefined;
  for (const [i, req] of requirements.entries()) {
    const description = describeRequirement(req);
    let result: { allowed: boolean; reason?: string | undefined };
    if (req.type === 'insecureAcceptAnything') result = { allowed: true };
    else if (req.type === 'reject') result = { allowed: false, reason: `every image in ${scope} is rejected` };
    else if (req.type === 'signedBaseLayer') result = { allowed: false, reason: 'signedBaseLayer is not supported' };
    else {
      loadedSignatures ??= await input.signatures();
      const outcome = await checkSignatures(req, keys, loadedSignatures, input, i + 1);
      checks = mergeChecks(checks, outcome.checks);
      result = outcome;
    }
    results.push({ index: i + 1, description, ...result });
    if (!result.allowed) {
      const reason = `requirement ${i + 1} of ${scope}, ${description}: ${result.reason ?? 'not satisfied'}`;
      return { ...base, allowed: false, scope, requirements: results, signatures: checks, reason };
    }
  }
  return { ...base, allowed: true, scope, requirements: results, signatures: checks };
}

/** One row per signature: a later requirement's verdict fills in what an earlier one could not say. */
function mergeChecks(a: SignatureCheck[], b: SignatureCheck[]): SignatureCheck[] {
  const out = [...a];
  for (const check of b) {
    const same = out.findIndex((c) => c.location === check.location && c.kind === check.kind);
    if (same === -1) out.push(check);
    else if (!out[same]!.verified) out[same] = check;
  }
  return out;
}

/** The refusal as an error: what was refused, by which requirement, and why. */
export function policyDenied(decision: PolicyDecision): FerryError {
  return new FerryError('POLICY_DENIED', `${decision.image}@${decision.digest} rejected by signature policy ${decision.policy}: ${decision.reason ?? 'not allowed'}`, {
    hint: 'sign the image with a key the policy trusts, or change the policy (see `ferry verify-signatures`)',
  });
}
