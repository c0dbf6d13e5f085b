/** What a request path addresses in the distribution API. Names and references are raw: handlers validate them. */
export type Route =
  | { kind: 'ping' }
  | { kind: 'catalog' }
  | { kind: 'tags'; name: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'upload'; name: string; id: string | undefined }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'lookaside'; name: string; digest: string; index: number }
  | { kind: 'unknown' };

/** Where the store's GPG signatures are served, as a registries.d `lookaside:` URL's path. */
export const LOOKASIDE_PATH = '/sigstore';
// containers/image's lookaside file names: <repository>@<algorithm>=<hex>/signature-<N>, N from 1.
const LOOKASIDE_RE = /^\/sigstore\/(.+)@([a-z0-9]+)=([a-f0-9]+)\/signature-([1-9][0-9]{0,5})$/;

/** Longest URL path ferry looks at; real ones are far shorter (names ≤ 255, digests ≤ 135). */
const MAX_PATH_LENGTH = 2048;

// The name is everything before the last matching keyword, as in distribution's router.
const PATTERNS: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1]!, reference: m[2]! })],
  [/^(.+)\/blobs\/uploads(?:\/([^/]*))?$/, (m) => ({ kind: 'upload', name: m[1]!, id: m[2] === '' ? undefined : m[2] })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1]!, digest: m[2]! })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1]! })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1]! , digest: m[2]! })],
];

/** Maps a URL path (no query) to a route. */
export function matchRoute(pathname: string): Route {
  if (pathname.length > MAX_PATH_LENGTH) return { kind: 'unknown' };
  if (pathname === '/v2' || pathname === '/v2/') return { kind: 'ping' };
  if (pathname === '/v2/_catalog') return { kind: 'catalog' };
  const lookaside = LOOKASIDE_RE.exec(pathname);
  if (lookaside) return { kind: 'lookaside', name: lookaside[1]!, digest: `${lookaside[2]}:${lookaside[3]}`, index: Number(lookaside[4]) };
  if (!pathname.startsWith('/v2/')) return { kind: 'unknown' };
  const rest = pathname.slice(4);
  for (const [re, make] of PATTERNS) {
    const m = re.exec(rest);
    if (m) return make(m);
  }
  return { kind: 'unknown' };
}

/**
 * Whether a raw request target would be rewritten by URL normalisation: a
 * `.` or `..` path segment (also percent-encoded, `%2e%2e`, or split by a tab)
 * or a backslash, which URL parsing treats as a separator. `/v2/a/manifests/1.0/../1.1`
 * must not act on tag 1.1: a proxy in front may have authorised the path as
 * written. Such requests are refused, as distribution does.
 */
export function hasDotSegment(target: string): boolean {
  // URL parsing drops tabs and newlines anywhere, so `.\t.` is a dot segment too.
  const path = target.replace(/[\t\n\r]/g, '').replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split(/[?#]/, 1)[0]!;
  if (path.includes('\\')) return true;
  return path.split('/').some((segment) => /^(?:\.|%2e){1,2}$/i.test(segment));
}
