import { z } from 'zod';
import { validateIdentityPrefix, validateReferenceValue } from './identity-rules.ts';
import { validateScope } from './policy-scopes.ts';

/**
 * containers-policy.json(5), the trust policy skopeo, podman and CRI-O read,
 * as zod schemas. Parsing is as strict as containers/image's: unknown keys,
 * unknown requirement or identity types and conflicting key sources reject the
 * whole file, with the JSON path of the offending value.
 */

/** `signedIdentity`: what the identity inside a signature must say about the image. */
export const signedIdentitySchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('matchExact') }),
    z.strictObject({ type: z.literal('matchRepoDigestOrExact') }),
    z.strictObject({ type: z.literal('matchRepository') }),
    z.strictObject({
      type: z.literal('exactReference'),
      dockerReference: z.string().superRefine(problem((v) => validateReferenceValue(v, 'tagged'))),
    }),
    z.strictObject({
      type: z.literal('exactRepository'),
      dockerRepository: z.string().superRefine(problem((v) => validateReferenceValue(v, 'any'))),
    }),
    z.strictObject({
      type: z.literal('remapIdentity'),
      prefix: z.string().superRefine(problem(validateIdentityPrefix)),
      signedPrefix: z.string().superRefine(problem(validateIdentityPrefix)),
    }),
  ],
  { error: () => 'unknown signedIdentity type (expected matchExact, matchRepoDigestOrExact, matchRepository, exactReference, exactRepository or remapIdentity)' },
);
export type SignedIdentity = z.infer<typeof signedIdentitySchema>;

/** A base64 string (keyData); the decoded bytes are checked when used. */
const base64 = z.string().regex(/^[A-Za-z0-9+/\s]*={0,2}\s*$/, 'not base64');
const nonEmptyPaths = z.array(z.string().min(1)).min(1);

function exactlyOne(value: Record<string, unknown>, keys: readonly string[], ctx: z.RefinementCtx, where: string): void {
  const present = keys.filter((k) => value[k] !== undefined);
  if (present.length !== 1) {
    ctx.addIssue({
      code: 'custom',
      message: `${where} needs exactly one of ${keys.join(', ')}${present.length > 1 ? ` (found ${present.join(' and ')})` : ''}`,
    });
  }
}

const SIGNED_BY_KEYS = ['keyPath', 'keyPaths', 'keyData'] as const;
const signedBySchema = z
  .strictObject({
    type: z.literal('signedBy'),
    keyType: z.enum(['GPGKeys', 'signedByGPGKeys', 'X509Certificates', 'signedByX509CAs'], {
      error: 'unknown keyType (GPGKeys is the one in use)',
    }),
    keyPath: z.string().min(1).optional(),
    keyPaths: nonEmptyPaths.optional(),
    keyData: base64.optional(),
    signedIdentity: signedIdentitySchema.optional(),
  })
  .superRefine((v, ctx) => exactlyOne(v, SIGNED_BY_KEYS, ctx, 'signedBy'));

const fulcioSchema = z.strictObject({
  caPath: z.string().optional(),
  caData: base64.optional(),
  oidcIssuer: z.string().optional(),
  subjectEmail: z.string().optional(),
});

const pkiSchema = z.strictObject({
  caRootsPath: z.string().optional(),
  caRootsData: base64.optional(),
  caIntermediatesPath: z.string().optional(),
  caIntermediatesData: base64.optional(),
  subjectEmail: z.string().optional(),
  subjectHostname: z.string().optional(),
});

const SIGSTORE_KEYS = ['keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki'] as const;
const sigstoreSignedSchema = z
  .strictObject({
    type: z.literal('sigstoreSigned'),
    keyPath: z.string().min(1).optional(),
    keyPaths: nonEmptyPaths.optional(),
    keyData: base64.optional(),
    keyDatas: z.array(base64).min(1).optional(),
    fulcio: fulcioSchema.optional(),
    pki: pkiSchema.optional(),
    rekorPublicKeyPath: z.string().optional(),
    rekorPublicKeyPaths: nonEmptyPaths.optional(),
    rekorPublicKeyData: base64.optional(),
    rekorPublicKeyDatas: z.array(base64).min(1).optional(),
    signedIdentity: signedIdentitySchema.optional(),
  })
  .superRefine((v, ctx) => exactlyOne(v, SIGSTORE_KEYS, ctx, 'sigstoreSigned'));

/** One requirement of a policy list; all of a list must be satisfied. */
export const requirementSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('insecureAcceptAnything') }),
    z.strictObject({ type: z.literal('reject') }),
    signedBySchema,
    sigstoreSignedSchema,
    // Recognised so a policy that names it still loads; ferry refuses images it would apply to.
    z.strictObject({ type: z.literal('signedBaseLayer'), baseLayerIdentity: signedIdentitySchema }),
  ],
  { error: () => 'unknown requirement type (expected insecureAcceptAnything, reject, signedBy or sigstoreSigned)' },
);
export type PolicyRequirement = z.infer<typeof requirementSchema>;

const requirementList = z.array(requirementSchema).min(1, 'a list of requirements must not be empty');

/** The whole file: a mandatory global default and optional per-transport scopes. */
export const policySchema = z
  .strictObject({
    default: requirementList,
    transports: z.record(z.string(), z.record(z.string(), requirementList)).optional(),
  })
  .superRefine((policy, ctx) => {
    for (const [transport, scopes] of Object.entries(policy.transports ?? {})) {
      for (const scope of Object.keys(scopes)) {
        if (scope === '') continue;
        const why = validateScope(transport, scope);
        if (why !== undefined) ctx.addIssue({ code: 'custom', path: ['transports', transport, scope], message: `invalid ${transport} scope: ${why}` });
      }
    }
  });
export type PolicyFile = z.infer<typeof policySchema>;

/** A zod refinement from a validator that returns what is wrong, or undefined. */
function problem(validate: (value: string) => string | undefined): (value: string, ctx: z.RefinementCtx) => void {
  return (value, ctx) => {
    const message = validate(value);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message });
  };
}
