import { FerryError } from '../errors.ts';
import { registryEndpoint } from '../ref/reference.ts';
import type { ImageTarget } from '../repository/repository.ts';

/** Which end of a copy a registry refused. */
export type Side = 'source' | 'destination';

const FLAG: Record<Side, string> = { source: '--src-creds', destination: '--dest-creds' };
const ENV: Record<Side, string> = { source: 'FERRY_SRC_CREDS', destination: 'FERRY_DEST_CREDS' };

/** `host` and repository of a target's storage, when it is a registry (`docker://host/repo`). */
function registryOf(target: ImageTarget): { host: string; repository: string } | undefined {
  const m = /^docker:\/\/([^/]+)\/(.+)$/.exec(target.repository.display);
  return m ? { host: m[1]!, repository: m[2]! } : undefined;
}

/**
 * The side a 401/403 came from: the repository named in the request path
 * (`/v2/NAME/…`) or in a token request's scope (`repository:NAME:push`: a
 * push is always the destination), matched against both ends.
 */
function sideOf(error: FerryError, ends: { source: ImageTarget; destination: ImageTarget }): Side | undefined {
  const url = error.http?.url;
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const matches = (side: Side, host: string | undefined, name: string): boolean => {
    const r = registryOf(ends[side]);
    // The request went to the registry's endpoint (Docker Hub's docker.io is served by registry-1.docker.io).
    return r !== undefined && r.repository === name && (host === undefined || registryEndpoint(r.host) === host);
  };
  const path = /^\/v2\/(.+?)\/(?:blobs|manifests|tags|referrers)\//.exec(parsed.pathname);
  if (path) {
    const name = decodeURIComponent(path[1]!);
    for (const side of ['destination', 'source'] as const) if (matches(side, parsed.host, name)) return side;
  }
  for (const scope of parsed.searchParams.getAll('scope')) {
    const [kind, name, actions] = scope.split(':');
    if (kind !== 'repository' || name === undefined) continue;
    if (actions?.split(',').includes('push')) return 'destination';
    for (const side of ['source', 'destination'] as const) if (matches(side, undefined, name)) return side;
  }
  return undefined;
}

/**
 * A refusal (401 UNAUTHORIZED, 403 DENIED) in the words a user acts on:
 * which side refused, for which image, and which flag gives that side its
 * credentials — rather than the blob or config digest the request was for.
 */
function accessFailure(error: FerryError, side: Side, image: string): FerryError {
  const registry = /^docker:\/\/([^/]+)/.exec(image)?.[1];
  const what = error.code === 'UNAUTHORIZED' ? 'refused the credentials' : 'denied access';
  const status = error.http?.status !== undefined ? ` (HTTP ${error.http.status}${error.http.ociCode ? ` ${error.http.ociCode}` : ''})` : '';
  const hint =
    error.code === 'UNAUTHORIZED'
      ? `check the ${side}'s credentials: ${FLAG[side]}, ${FLAG[side]}-file, $${ENV[side]} or the auth file entry for ${registry ?? 'the registry'}`
      : `the ${side} credentials (${FLAG[side]}) are valid but lack ${side === 'destination' ? 'push' : 'pull'} permission there`;
  return new FerryError(error.code, `${image}: the ${side} registry${registry ? ` ${registry}` : ''} ${what}${status}`, { hint, cause: error, http: error.http });
}

/** {@link accessFailure} for an error of a copy between two targets, when it is a refusal whose side can be told; other errors pass through. */
export function attributeAccessFailure(error: unknown, ends: { source: ImageTarget; destination: ImageTarget }): unknown {
  if (!(error instanceof FerryError) || (error.code !== 'UNAUTHORIZED' && error.code !== 'DENIED')) return error;
  const side = sideOf(error, ends);
  return side === undefined ? error : accessFailure(error, side, ends[side].display);
}

/** {@link accessFailure} when `error` is a refusal from a known side; anything else is returned as it is. */
export function onSide(error: FerryError, side: Side, image: string): FerryError {
  return error.code === 'UNAUTHORIZED' || error.code === 'DENIED' ? accessFailure(error, side, image) : error;
}
