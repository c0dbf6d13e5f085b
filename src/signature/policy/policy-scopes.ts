import { posix } from 'node:path';
import { isDigest } from '../../oci/digest.ts';
import { formatReference, repositoryPath, type ImageReference } from '../../ref/reference.ts';

/**
 * Where an image sits in a policy's `transports` section: the transport name
 * and its scopes, most specific first, as containers/image computes them
 * (`PolicyConfigurationIdentity` then `PolicyConfigurationNamespaces`). The
 * transport default `""` and the global default are tried after these.
 */
export interface PolicyName {
  transport: string;
  /** Scopes to look up, most specific first (without the transport default ""). */
  scopes: string[];
  /** The registry identity signedIdentity rules compare against; absent for transports without one (dir, plain layouts). */
  identity?: ImageReference | undefined;
}

/** A reference with a tag or digest, as policy identities require: `name@digest` when both are given (the digest is what is read), `:latest` when neither. */
export function identityReference(ref: ImageReference): ImageReference {
  if (ref.digest !== undefined) return { registry: ref.registry, repository: ref.repository, digest: ref.digest };
  return { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
}

/**
 * `docker:` scopes: `host[:port]/ns/repo:tag` (or `@digest`), the
 * repository, each parent namespace, the host, then `*.domain` wildcards of
 * the host without its port (`a.b.example.com` → `*.b.example.com`, `*.example.com`, `*.com`).
 */
export function dockerScopes(ref: ImageReference): string[] {
  const identity = identityReference(ref);
  const scopes = [formatReference(identity)];
  let name = repositoryPath(identity);
  for (;;) {
    scopes.push(name);
    const slash = name.lastIndexOf('/');
    if (slash === -1) break;
    name = name.slice(0, slash);
  }
  const colon = name.indexOf(':');
  let host = colon === -1 ? name : name.slice(0, colon);
  for (let dot = host.indexOf('.'); dot !== -1; dot = host.indexOf('.')) {
    host = host.slice(dot + 1);
    scopes.push(`*.${host}`);
  }
  return scopes;
}

/** `dir:`/`oci:` scopes: the resolved path, then each parent directory except `/`. */
export function pathScopes(resolved: string): string[] {
  const scopes: string[] = [];
  for (let p = resolved; p !== '/' && p !== ''; p = posix.dirname(p)) scopes.push(p);
  return scopes;
}

/** Where containers-storage keeps images: its graph driver and root. */
export interface StorageSpec {
  driver: string;
  graphRoot: string;
}

/**
 * `containers-storage:` scopes: `[driver@root]name:tag@id`, the reference
 * without the image ID, its repository and parent namespaces, then the store
 * with and without its driver.
 */
export function containersStorageScopes(store: StorageSpec, ref: ImageReference | undefined, imageId?: string): string[] {
  const spec = `[${store.driver}@${store.graphRoot}]`;
  const scopes: string[] = [];
  if (ref !== undefined) {
    const named = formatReference(ref);
    scopes.push(spec + named + (imageId !== undefined ? `@${imageId}` : ''));
    if (imageId !== undefined) scopes.push(spec + named);
    if (ref.tag !== undefined && ref.digest !== undefined) scopes.push(`${spec}${repositoryPath(ref)}:${ref.tag}`);
    const parts = repositoryPath(ref).split('/');
    while (parts.length > 0) {
      scopes.push(spec + parts.join('/'));
      parts.pop();
    }
  } else if (imageId !== undefined) {
    scopes.push(`${spec}@${imageId}`);
  }
  scopes.push(spec, `[${store.graphRoot}]`);
  return scopes;
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
const HOST = `(?:${LABEL}(?:\\.${LABEL})*|\\[[A-Fa-f0-9:]+\\])(?::[0-9]{1,5})?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = '[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+';
const DOCKER_SCOPE_RE = new RegExp(`^${HOST}(?:(?:/${COMPONENT})+(?::${TAG})?(?:@${DIGEST})?)?$`);
const WILDCARD_RE = new RegExp(`^\\*\\.${LABEL}(?:\\.${LABEL})*$`);

function checkPath(scope: string, allowName: boolean): string | undefined {
  const dir = allowName && scope.includes(':') ? scope.slice(0, scope.indexOf(':')) : scope;
  if (!dir.startsWith('/')) return `"${scope}" must be an absolute path`;
  if (dir === '/') return 'use the transport default "" instead of "/"';
  const clean = posix.normalize(dir).replace(/\/+$/, '');
  if (clean !== dir) return `"${scope}" is not in canonical form; write ${clean}`;
  return undefined;
}

/**
 * What is wrong with `scope` under `transport`, or undefined. Transports
 * ferry does not know are not checked, as containers/image does.
 */
export function validateScope(transport: string, scope: string): string | undefined {
  switch (transport) {
    case 'docker':
    case 'atomic':
      if (scope.startsWith('*')) return WILDCARD_RE.test(scope) ? undefined : `"${scope}": a wildcard must be "*." followed by a domain, e.g. *.example.com`;
      return DOCKER_SCOPE_RE.test(scope)
        ? undefined
        : `"${scope}" is not host[:port][/namespace…/repository[:tag|@digest]] in fully expanded form (docker.io/library/busybox, not busybox)`;
    case 'dir':
      return checkPath(scope, false);
    case 'oci':
    case 'oci-archive':
      return checkPath(scope, true);
    case 'docker-archive':
      return 'docker-archive supports only the transport default scope ""';
    case 'docker-daemon':
      return isDigest(scope) ? `"${scope}": an image ID cannot be a scope` : undefined;
    case 'containers-storage':
      return /^\[[^\]]+\]/.test(scope) ? undefined : `"${scope}" must start with a [driver@graph-root] store specification`;
    default:
      return undefined;
  }
}
