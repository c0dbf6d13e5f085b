import { isIPv6 } from 'node:net';
import { FerryError } from '../errors.ts';
import { parseDigest, type Digest } from '../oci/digest.ts';

/**
 * A parsed, normalised image reference: `registry/repository[:tag][@digest]`.
 * `registry` is a host with an optional port (`docker.io`, `localhost:5000`,
 * `[::1]:5000`); `repository` is the lowercase path within it (`library/nginx`).
 */
export interface ImageReference {
  registry: string;
  repository: string;
  tag?: string | undefined;
  digest?: Digest | undefined;
}

/** The registry an unqualified name such as `nginx` refers to. */
export const DEFAULT_REGISTRY = 'docker.io';
/** The tag {@link withDefaultTag} adds, as docker and skopeo do. */
export const DEFAULT_TAG = 'latest';

// Docker Hub answers under several names; one canonical name keeps storage
// identities and auth lookups from splitting.
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);
// Docker Hub's API lives on a different host than the name users write.
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
// Official images live under this namespace but are written without it.
const OFFICIAL_NAMESPACE = 'library';
// Same limit as distribution: registries reject longer names.
const MAX_NAME_LENGTH = 255;

const TAG_RULE = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const TAG_RE = new RegExp(`^${TAG_RULE}$`);
const COMPONENT_RULE = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const COMPONENT_RE = new RegExp(`^${COMPONENT_RULE}$`);
const DOMAIN_LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const HOST_PORT_RE = /^([^:[\]]*)(?::([^:]*))?$/;
const IPV6_PORT_RE = /^\[([^\]]*)\](?::([^:]*))?$/;

function invalid(input: string, rule: string, cause?: unknown): FerryError {
  return new FerryError('INVALID_REFERENCE', `invalid image reference "${input}": ${rule}`, {
    hint: 'expected [REGISTRY[:PORT]/]REPOSITORY[:TAG][@DIGEST], e.g. docker.io/library/nginx:1.25',
    cause,
  });
}

/**
 * Parses an image reference the way docker and containerd do
 * (distribution/reference semantics) and normalises it: `nginx` becomes
 * registry `docker.io`, repository `library/nginx`; `index.docker.io` and
 * `registry-1.docker.io` become `docker.io`. The first path component is a
 * registry only when it contains `.` or `:`, is `localhost`, or is a
 * bracketed IPv6 address. Tag and digest are kept as written (both may be
 * present); no default tag is added — see {@link withDefaultTag}.
 *
 * @throws FerryError `INVALID_REFERENCE` naming the input and the broken rule.
 */
export function parseReference(input: string): ImageReference {
  if (input === '') throw invalid(input, 'reference is empty');

  // Neither names nor tags may contain '@', so the first one starts the digest.
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    try {
      digest = parseDigest(rest.slice(at + 1), 'digest');
    } catch (error) {
      // parseDigest says why ("expected 64 lowercase hex characters"); keep that, minus its own prefix.
      const why = error instanceof FerryError ? error.message.replace(/^invalid /, '') : 'digest is malformed';
      throw invalid(input, why, error);
    }
    rest = rest.slice(0, at);
  }

  // A colon after the last slash starts the tag; earlier colons belong to a host:port.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid(input, `tag must match ${TAG_RULE} (got "${tag}")`);
  }

  if (rest === '') throw invalid(input, 'repository name is empty');
  let registry = DEFAULT_REGISTRY;
  let repository = rest;
  const slash = rest.indexOf('/');
  if (slash !== -1 && looksLikeRegistry(rest.slice(0, slash))) {
    registry = rest.slice(0, slash);
    repository = rest.slice(slash + 1);
    checkRegistry(input, registry);
    if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) registry = DEFAULT_REGISTRY;
  }
  checkRepository(input, repository);
  if (registry === DEFAULT_REGISTRY && !repository.includes('/')) {
    repository = `${OFFICIAL_NAMESPACE}/${repository}`;
  }
  const name = `${registry}/${repository}`;
  if (name.length > MAX_NAME_LENGTH) {
    throw invalid(input, `total name exceeds ${MAX_NAME_LENGTH} characters (${name.length})`);
  }

  const ref: ImageReference = { registry, repository };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** Docker's rule for telling "host/repo" from "namespace/repo": whether the first path component names a registry. */
export function looksLikeRegistry(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost' || component.startsWith('[');
}

function checkRegistry(input: string, registry: string): void {
  let host: string;
  let port: string | undefined;
  const v6 = IPV6_PORT_RE.exec(registry);
  if (v6) {
    host = v6[1]!;
    port = v6[2];
    // Zone ids (%eth0) are valid for isIPv6 but not in a reference.
    if (host.includes('%') || !isIPv6(host)) {
      throw invalid(input, `registry "${registry}" must hold an IPv6 address between the brackets`);
    }
  } else {
    const m = HOST_PORT_RE.exec(registry);
    if (!m) throw invalid(input, `registry "${registry}" must be HOST[:PORT] (bracket IPv6 addresses)`);
    host = m[1]!;
    port = m[2];
    if (host === '') throw invalid(input, `registry "${registry}" has an empty host`);
    for (const label of host.split('.')) {
      if (!DOMAIN_LABEL_RE.test(label)) {
        throw invalid(input, `registry host "${host}" must be dot-separated labels of letters, digits and inner hyphens`);
      }
    }
  }
  if (port !== undefined) {
    const n = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
    if (n < 1 || n > 65535) throw invalid(input, `port must be 1-65535 (got "${port}")`);
  }
}

function checkRepository(input: string, repository: string): void {
  if (/[A-Z]/.test(repository)) throw invalid(input, 'repository name must be lowercase');
  for (const component of repository.split('/')) {
    if (component === '') throw invalid(input, 'empty path component (leading, trailing or double "/")');
    if (!COMPONENT_RE.test(component)) {
      throw invalid(input, `path component "${component}" must match ${COMPONENT_RULE}`);
    }
  }
}

/** Whether `tag` is a valid tag: up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`. */
export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag);
}

/** The same reference with tag `latest` when it has neither tag nor digest (docker's pull default). */
export function withDefaultTag(ref: ImageReference): ImageReference {
  if (ref.tag !== undefined || ref.digest !== undefined) return ref;
  return { ...ref, tag: DEFAULT_TAG };
}

/** `registry/repository` without tag or digest, e.g. `docker.io/library/nginx`. */
export function repositoryPath(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

function suffix(ref: ImageReference): string {
  return (ref.tag !== undefined ? `:${ref.tag}` : '') + (ref.digest !== undefined ? `@${ref.digest}` : '');
}

/** The fully qualified form, e.g. `docker.io/library/nginx:1.25@sha256:…`; {@link parseReference} reads it back unchanged. */
export function formatReference(ref: ImageReference): string {
  return repositoryPath(ref) + suffix(ref);
}

/**
 * The short form users type: Docker Hub's registry and, for single-component
 * official images, the `library/` namespace are dropped (`nginx:1.25`,
 * `bitnami/redis`). Parses back to the same reference for any reference
 * {@link parseReference} produced.
 */
export function familiarString(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_REGISTRY) return formatReference(ref);
  let name = ref.repository;
  const prefix = `${OFFICIAL_NAMESPACE}/`;
  if (name.startsWith(prefix) && !name.slice(prefix.length).includes('/')) name = name.slice(prefix.length);
  return name + suffix(ref);
}

/** The host to send API requests to: `docker.io` → `registry-1.docker.io`; other registries unchanged. */
export function registryEndpoint(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB_ENDPOINT : registry;
}
