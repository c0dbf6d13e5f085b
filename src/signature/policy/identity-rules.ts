import { formatReference, parseReference, repositoryPath, type ImageReference } from '../../ref/reference.ts';
import type { SignedIdentity } from './policy-format.ts';

/**
 * The `signedIdentity` rules of containers-policy.json: does the identity a
 * signature claims (`critical.identity.docker-reference`) fit the image it is
 * attached to? Semantics follow containers/image: references compare in their
 * fully expanded form (`docker.io/library/busybox:latest`), and no default
 * tag is ever added to the signed side.
 */

/** Why a claimed identity was not accepted, or undefined when it was. */
export type IdentityMismatch = string | undefined;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const DOMAIN = `(?:${LABEL}(?:\\.${LABEL})*|\\[[A-Fa-f0-9:]+\\])(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`);
const DOMAIN_NAME_RE = new RegExp(`^${DOMAIN}(?:/${COMPONENT})+$`);

/** Parses without throwing: the expanded reference, or undefined for anything malformed. */
function tryParse(value: string): ImageReference | undefined {
  try {
    return parseReference(value);
  } catch {
    return undefined;
  }
}

const nameOnly = (ref: ImageReference): boolean => ref.tag === undefined && ref.digest === undefined;

/**
 * Checks an `exactReference.dockerReference` (must carry a tag or digest:
 * `tagged`) or an `exactRepository.dockerRepository` (`any`) value.
 */
export function validateReferenceValue(value: string, need: 'tagged' | 'any'): string | undefined {
  const ref = tryParse(value);
  if (ref === undefined) return `"${value}" is not a valid image reference`;
  if (need === 'tagged' && nameOnly(ref)) return `"${value}" has neither a tag nor a digest`;
  return undefined;
}

/** Checks a `remapIdentity` prefix: `host[:port]`, or `host[:port]/namespace[/repo]`, without tag or digest. */
export function validateIdentityPrefix(value: string): string | undefined {
  if (DOMAIN_RE.test(value) || DOMAIN_NAME_RE.test(value)) return undefined;
  return `prefix "${value}" is not valid (expected host[:port] or host[:port]/namespace/repository, fully expanded, without tag or digest)`;
}

/** Whether `ref` starts with `prefix` at a name boundary: `busybox` matches `busybox:1` and `busybox/x`, never `busybox-foo`. */
export function matchesPrefix(ref: string, prefix: string): boolean {
  if (ref.length < prefix.length || !ref.startsWith(prefix)) return false;
  if (ref.length === prefix.length) return true;
  const next = ref[prefix.length];
  return next === ':' || next === '/' || next === '@';
}

/**
 * `remapIdentity`: the image's identity with `prefix` replaced by
 * `signedPrefix`; unchanged when the prefix does not apply; undefined when
 * the result is not a canonical reference (containers/image rejects those).
 */
export function remapReference(ref: ImageReference, prefix: string, signedPrefix: string): ImageReference | undefined {
  const full = formatReference(ref);
  if (!matchesPrefix(full, prefix)) return ref;
  const remapped = signedPrefix + full.slice(prefix.length);
  const parsed = tryParse(remapped);
  return parsed !== undefined && formatReference(parsed) === remapped ? parsed : undefined;
}

/** matchRepoDigestOrExact: a tagged image needs the exact reference; a digest image any tag of the same repository. */
function repoDigestOrExact(intended: ImageReference, signed: ImageReference): boolean {
  if (nameOnly(signed)) return false;
  if (intended.tag !== undefined) return formatReference(signed) === formatReference(intended);
  if (intended.digest !== undefined) return repositoryPath(signed) === repositoryPath(intended);
  return false;
}

/** The rule a missing `signedIdentity` stands for. */
export const DEFAULT_SIGNED_IDENTITY: SignedIdentity = { type: 'matchRepoDigestOrExact' };

/**
 * Decides whether a signature claiming `claimed` is acceptable for an image
 * known as `image` (undefined when its transport gives it no registry
 * identity: only exactReference and exactRepository can then match).
 */
export function checkSignedIdentity(rule: SignedIdentity | undefined, image: ImageReference | undefined, claimed: string): IdentityMismatch {
  const r = rule ?? DEFAULT_SIGNED_IDENTITY;
  const signed = tryParse(claimed);
  if (signed === undefined) return `the signature claims "${claimed}", which is not a valid image reference`;
  const refuse = (expected: string): string => `the signature claims identity ${formatReference(signed)}, which ${r.type} does not accept for ${expected}`;
  if (r.type === 'exactReference') {
    const want = parseReference(r.dockerReference);
    return !nameOnly(signed) && formatReference(signed) === formatReference(want) ? undefined : refuse(formatReference(want));
  }
  if (r.type === 'exactRepository') {
    const want = parseReference(r.dockerRepository);
    return repositoryPath(signed) === repositoryPath(want) ? undefined : refuse(`repository ${repositoryPath(want)}`);
  }
  if (image === undefined) return `${r.type} needs the image's registry identity, and this image has none (use exactReference or exactRepository)`;
  switch (r.type) {
    case 'matchExact':
      return !nameOnly(image) && !nameOnly(signed) && formatReference(signed) === formatReference(image) ? undefined : refuse(formatReference(image));
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(image, signed) ? undefined : refuse(formatReference(image));
    case 'matchRepository':
      return repositoryPath(signed) === repositoryPath(image) ? undefined : refuse(`repository ${repositoryPath(image)}`);
    case 'remapIdentity': {
      const remapped = remapReference(image, r.prefix, r.signedPrefix);
      if (remapped === undefined) return `remapping ${formatReference(image)} from "${r.prefix}" to "${r.signedPrefix}" gives no valid reference`;
      return repoDigestOrExact(remapped, signed) ? undefined : refuse(`${formatReference(remapped)} (remapped from ${formatReference(image)})`);
    }
  }
}
