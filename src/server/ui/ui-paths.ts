import { isDigest, type Digest } from '../../oci/digest.ts';
import { isValidRepository } from '../../transports/layout/layout-names.ts';

/**
 * The UI's URL space, beside the distribution API's `/v2/`. Repository names
 * may contain slashes, so an image is `/image/<name>@<digest>` (`@` never
 * appears in a name), and assets live under `/-/`, which no name can start with.
 */
export type UiRoute =
  | { page: 'home' }
  | { page: 'repository'; name: string }
  | { page: 'image'; name: string; digest: Digest }
  | { page: 'bundles' }
  | { page: 'asset'; file: string }
  | { page: 'unknown' };

export const ASSET_PREFIX = '/-/assets/';

/** Whether a request path belongs to the UI rather than the distribution API or the signature lookaside (`/sigstore/`). */
export function isUiPath(pathname: string): boolean {
  return pathname !== '/v2' && !pathname.startsWith('/v2/') && pathname !== '/sigstore' && !pathname.startsWith('/sigstore/');
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** Maps a UI path to its page; names and digests are checked against their grammars. */
export function matchUiRoute(pathname: string): UiRoute {
  if (pathname === '/' || pathname === '') return { page: 'home' };
  if (pathname === '/bundles') return { page: 'bundles' };
  if (pathname === '/favicon.ico') return { page: 'asset', file: 'icon.svg' };
  if (pathname.startsWith(ASSET_PREFIX)) return { page: 'asset', file: pathname.slice(ASSET_PREFIX.length) };
  if (pathname.startsWith('/repo/')) {
    const name = decode(pathname.slice('/repo/'.length));
    if (name !== undefined && isValidRepository(name)) return { page: 'repository', name };
  }
  if (pathname.startsWith('/image/')) {
    const rest = decode(pathname.slice('/image/'.length)) ?? '';
    const at = rest.lastIndexOf('@');
    const name = rest.slice(0, at);
    const digest = rest.slice(at + 1);
    if (at > 0 && isValidRepository(name) && isDigest(digest)) return { page: 'image', name, digest };
  }
  return { page: 'unknown' };
}

/** Link to a repository's page. */
export function repositoryHref(name: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams(query).toString();
  return `/repo/${name}${q === '' ? '' : `?${q}`}`;
}

/** Link to a manifest's page. */
export function imageHref(name: string, digest: string): string {
  return `/image/${name}@${digest}`;
}
