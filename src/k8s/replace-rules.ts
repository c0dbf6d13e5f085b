import { FerryError } from '../errors.ts';
import { formatReference, parseReference } from '../ref/reference.ts';

/**
 * Registry replacement rules (`--replace FROM=TO`).
 *
 * Matching is on whole path segments. FROM matches an image string S when S
 * starts with FROM and the rest R of S after FROM is
 * - empty (S is FROM),
 * - starts with `/` (FROM is a registry or a path prefix),
 * - starts with `@` (FROM is the whole repository, S adds a digest), or
 * - starts with `:` and R contains no `/` — the colon begins a tag. A colon
 *   followed by more path is a port, so FROM `reg.example.com` does not
 *   match `reg.example.com:5000/app`.
 * The result is TO followed by R. Rules are tried longest FROM first; the
 * first that matches wins. Each rule is tried on the image as written and,
 * when that does not match, on its normalised form (`nginx:1` is also
 * `docker.io/library/nginx:1`), so `docker.io=mirror.example.com/hub` also
 * rewrites short Docker Hub names.
 */
export interface ReplaceRule {
  from: string;
  to: string;
}

/**
 * Parses `FROM=TO`; surrounding whitespace and trailing `/` are dropped.
 *
 * @throws FerryError `USAGE` when either side is empty or `=` is missing.
 */
export function parseReplaceRule(text: string): ReplaceRule {
  const eq = text.indexOf('=');
  const from = (eq === -1 ? '' : text.slice(0, eq)).trim().replace(/\/+$/, '');
  const to = (eq === -1 ? '' : text.slice(eq + 1)).trim().replace(/\/+$/, '');
  if (from === '' || to === '') {
    throw new FerryError('USAGE', `--replace "${text}" must be FROM=TO with both sides non-empty`, {
      hint: 'e.g. --replace docker-registry.default.svc:5000=image-registry.openshift-image-registry.svc:5000',
    });
  }
  if (/\s/.test(from) || /\s/.test(to)) throw new FerryError('USAGE', `--replace "${text}" must not contain spaces`);
  return { from, to };
}

/** Sorts rules longest FROM first (ties keep the order given); rejects one FROM given twice with different TOs. */
export function orderRules(rules: readonly ReplaceRule[]): ReplaceRule[] {
  const seen = new Map<string, string>();
  for (const rule of rules) {
    const earlier = seen.get(rule.from);
    if (earlier !== undefined && earlier !== rule.to) {
      throw new FerryError('USAGE', `--replace ${rule.from} is given twice (=${earlier} and =${rule.to})`);
    }
    seen.set(rule.from, rule.to);
  }
  return [...rules].map((rule, i) => ({ rule, i })).sort((a, b) => b.rule.from.length - a.rule.from.length || a.i - b.i).map(({ rule }) => rule);
}

/** The rest of `image` after `from` when `from` matches on a segment boundary, else undefined. */
export function matchPrefix(image: string, from: string): string | undefined {
  if (!image.startsWith(from)) return undefined;
  const rest = image.slice(from.length);
  if (rest === '' || rest.startsWith('/') || rest.startsWith('@')) return rest;
  if (rest.startsWith(':') && !rest.includes('/')) return rest;
  return undefined;
}

/** The rewritten image and the rule used, or undefined when no rule matches. `rules` must be {@link orderRules}-sorted. */
export function applyReplaceRules(image: string, rules: readonly ReplaceRule[]): { image: string; rule: ReplaceRule } | undefined {
  const normalised = normalise(image);
  for (const rule of rules) {
    for (const candidate of normalised === image ? [image] : [image, normalised]) {
      const rest = matchPrefix(candidate, rule.from);
      if (rest !== undefined) return { image: rule.to + rest, rule };
    }
  }
  return undefined;
}

function normalise(image: string): string {
  try {
    return formatReference(parseReference(image));
  } catch {
    return image; // templated or broken values are matched only as written
  }
}
