import type { RegexSpec } from '../config/sync-spec.ts';

/**
 * Turns a regular expression written for Go (skopeo's `images-by-tag-regex`,
 * image-syncer's `repo:/regex/`) into a JavaScript one with the same meaning
 * for tags: a leading flag group such as `(?i)` becomes flags, `(?P<name>` a
 * named group, `\A` and `\z` anchors. Matching stays unanchored, like Go's
 * `MatchString`.
 *
 * @returns the translated spec, or a string saying why it does not compile.
 */
export function translateGoRegex(source: string): RegexSpec | string {
  let body = source;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(body);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'U') return 'the (?U) ungreedy flag has no JavaScript equivalent; use lazy quantifiers (*?, +?)';
      if (!flags.includes(f)) flags += f;
    }
    body = body.slice(lead[0].length);
  }
  body = body.replaceAll('(?P<', '(?<').replace(/(^|[^\\])\\A/g, '$1^').replace(/(^|[^\\])\\z/g, '$1$');
  try {
    new RegExp(body, flags);
  } catch (error) {
    return error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : String(error);
  }
  return { source: body, flags };
}

const compiled = new Map<string, RegExp>();

/** The RegExp for a spec (compiled once). */
export function regexOf(spec: RegexSpec): RegExp {
  const key = `${spec.flags}/${spec.source}`;
  let re = compiled.get(key);
  if (re === undefined) {
    re = new RegExp(spec.source, spec.flags);
    if (compiled.size > 1024) compiled.clear();
    compiled.set(key, re);
  }
  return re;
}
