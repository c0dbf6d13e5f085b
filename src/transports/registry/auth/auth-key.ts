/**
 * The keys of auth files: which entry of `auths` / `credHelpers` applies to
 * an image. containers-auth.json keys are `host`, `host/namespace` or
 * `host/namespace/repo`; Docker's keys may be URLs (`https://host/v1/`), in
 * which case only the host counts. Docker Hub answers to three host names.
 */

/** The name ferry uses for Docker Hub in keys it writes. */
export const DOCKER_HUB = 'docker.io';

/** Host names that all mean Docker Hub (the reference host, the old index host, the API host). */
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** Docker's key for Docker Hub, and the server URL its credential helpers store Hub secrets under. */
export const DOCKER_HUB_LEGACY_KEY = 'https://index.docker.io/v1/';

/** Host (with port) in canonical form: lower case, Docker Hub aliases folded into `docker.io`. */
export function normalizeRegistryHost(host: string): string {
  const lower = host.trim().toLowerCase();
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower;
}

/** True when two registry host names (with ports) are the same registry. */
export function sameRegistry(a: string, b: string): boolean {
  return normalizeRegistryHost(a) === normalizeRegistryHost(b);
}

/**
 * The canonical form of an auth-file key: `host[/path]` with the host
 * normalized. A key with an `http://` or `https://` prefix is Docker's
 * format, where the path (`/v1/`) is an API version, not a namespace, so only
 * its host is kept. Trailing slashes of a namespace key are dropped.
 */
export function normalizeAuthKey(key: string): string {
  const trimmed = key.trim();
  const scheme = /^https?:\/\//i.exec(trimmed);
  if (scheme) {
    const rest = trimmed.slice(scheme[0].length);
    return normalizeRegistryHost(rest.split(/[/?#]/, 1)[0] ?? '');
  }
  const slash = trimmed.indexOf('/');
  if (slash < 0) return normalizeRegistryHost(trimmed);
  const path = trimmed.slice(slash + 1).replace(/\/+$/, '');
  const host = normalizeRegistryHost(trimmed.slice(0, slash));
  return path === '' ? host : `${host}/${path}`;
}

/** The host part of a key (or of a registry given with a namespace). */
export function authKeyHost(key: string): string {
  const normalized = normalizeAuthKey(key);
  const slash = normalized.indexOf('/');
  return slash < 0 ? normalized : normalized.slice(0, slash);
}

/**
 * The keys that may hold credentials for `registry`/`repository`, most
 * specific first: `host/ns/app`, `host/ns`, `host`. `registry` may itself
 * carry a namespace or a scheme; the repository is joined below it.
 */
export function authLookupKeys(registry: string, repository = ''): string[] {
  const base = normalizeAuthKey(registry);
  const repo = repository.replace(/^\/+|\/+$/g, '');
  const full = repo === '' ? base : `${base}/${repo}`;
  const keys: string[] = [];
  let key = full;
  for (;;) {
    keys.push(key);
    const slash = key.lastIndexOf('/');
    if (slash < 0) return keys;
    key = key.slice(0, slash);
  }
}

/**
 * The server URL handed to a credential helper for a host: Docker's legacy
 * Hub URL for Docker Hub (where `docker login` stores it), the host otherwise.
 */
export function helperServerUrl(host: string): string {
  const normalized = normalizeRegistryHost(host);
  return normalized === DOCKER_HUB ? DOCKER_HUB_LEGACY_KEY : normalized;
}
