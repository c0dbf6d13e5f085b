import { FerryError } from '../errors.ts';
import { formatStorageImage, parseStorageImage, type StorageImage } from './containers-storage-ref.ts';
import { formatDockerDaemonImage, parseDockerDaemonImage, type DockerDaemonImage } from './docker-daemon-ref.ts';
import { formatOcDiskName, parseOcDiskName, type OcDiskName } from './oc-disk-ref.ts';
import { familiarString, parseReference, withDefaultTag, type ImageReference } from './reference.ts';

/**
 * Where an image lives, in skopeo's `transport:reference` syntax:
 * - `docker://REF` — a registry (`//` is required, as in skopeo);
 * - `oci:PATH[:NAME]`, `oci-archive:PATH[:NAME]` — an OCI layout directory or
 *   its tar; NAME is the layout's `org.opencontainers.image.ref.name` and may
 *   itself hold colons (`ns/app:1.0`), so PATH ends at the first colon;
 * - `dir:PATH` — skopeo's directory format (PATH may hold colons);
 * - `docker-archive:PATH[:REF]` or `docker-archive:PATH:@N` — a `docker save`
 *   tar; REF (tagged, `latest` by default) or the N-th image (0-based) selects
 *   an image when reading, REF names it when writing;
 * - `docker-daemon:NAME[:TAG]` or `docker-daemon:sha256:ID` — an image in a
 *   Docker daemon (see {@link DockerDaemonImage});
 * - `containers-storage:[STORE]NAME[:TAG]` or `containers-storage:ID` — an
 *   image in Podman's / Buildah's / CRI-O's storage (see {@link StorageImage});
 * - `oc-disk:PATH:REPOSITORY[:TAG|@DIGEST]` — the directory `oc image mirror
 *   --dir` writes and `--from-dir` reads (`PATH/v2/REPOSITORY/…`); NAME is
 *   what oc writes after `file://`.
 */
export type TransportRef =
  | { transport: 'docker'; ref: ImageReference }
  | { transport: 'oci'; path: string; name?: string | undefined }
  | { transport: 'oci-archive'; path: string; name?: string | undefined }
  | { transport: 'dir'; path: string }
  | { transport: 'docker-archive'; path: string; ref?: ImageReference | undefined; index?: number | undefined }
  | ({ transport: 'docker-daemon' } & DockerDaemonImage)
  | ({ transport: 'containers-storage' } & StorageImage)
  | ({ transport: 'oc-disk'; path: string } & OcDiskName);

/** A transport's name, as written before the colon. */
export type TransportName = TransportRef['transport'];

/** The parsed reference of one transport. */
export type TransportRefOf<K extends TransportName> = Extract<TransportRef, { transport: K }>;

/** The transport names ferry accepts, in the order help texts list them. */
export const TRANSPORTS: readonly TransportName[] = Object.freeze(['docker', 'oci', 'oci-archive', 'dir', 'docker-archive', 'docker-daemon', 'containers-storage', 'oc-disk']);

// skopeo knows these but ferry does not move images through them; saying so
// beats "unknown transport" for users coming from skopeo.
const SKOPEO_ONLY = new Set(['sif', 'tarball', 'ostree']);

// OCI image-layout ref.name grammar (annotation org.opencontainers.image.ref.name).
const OCI_COMPONENT = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
const OCI_REF_NAME_RE = new RegExp(`^${OCI_COMPONENT}(?:/${OCI_COMPONENT})*$`);

const SUPPORTED_HINT =
  'supported transports: docker://REF, oci:PATH[:NAME], oci-archive:PATH[:NAME], dir:PATH, docker-archive:PATH[:REF|:@N], ' +
  'docker-daemon:NAME[:TAG], containers-storage:[STORE]NAME[:TAG], oc-disk:PATH:REPOSITORY[:TAG]; ' +
  'e.g. docker://quay.io/ns/app:1.0 or oci:/srv/layout:app:1.0';

// One example per transport, shown when its own syntax is broken.
const EXAMPLES: Record<string, string> = {
  oci: 'oci:/srv/layout:ns/app:1.0',
  'oci-archive': 'oci-archive:/tmp/app.tar:ns/app:1.0',
  'docker-archive': 'docker-archive:/tmp/app.tar:app:1.0',
  'oc-disk': 'oc-disk:/srv/mirror:openshift/release:4.3.0',
};

function invalid(input: string, rule: string, hint: string = SUPPORTED_HINT, cause?: unknown): FerryError {
  return new FerryError('INVALID_REFERENCE', `invalid transport reference "${input}": ${rule}`, { hint, cause });
}

/** A hint that proposes `docker://INPUT` when the input is a plain image reference. */
function guessHint(input: string): string {
  try {
    parseReference(input);
    return `did you mean docker://${input}? ${SUPPORTED_HINT}`;
  } catch {
    return SUPPORTED_HINT;
  }
}

/**
 * Parses `transport:reference` as skopeo does. Image references inside are
 * normalised by {@link parseReference}.
 *
 * @throws FerryError `INVALID_REFERENCE` for a missing or unknown transport
 * (with a hint listing the supported ones), a `docker:` without `//`, an
 * empty PATH, an invalid OCI ref name, image reference or archive index.
 */
export function parseTransportRef(input: string): TransportRef {
  const colon = input.indexOf(':');
  if (colon === -1) throw invalid(input, 'missing transport prefix', guessHint(input));
  const transport = input.slice(0, colon);
  const rest = input.slice(colon + 1);
  switch (transport) {
    case 'docker':
      return parseDocker(input, rest);
    case 'oci':
    case 'oci-archive': {
      const { path, name } = splitPath(input, transport, rest);
      if (name === undefined) return { transport, path };
      if (!OCI_REF_NAME_RE.test(name)) {
        throw invalid(input, `image name "${name}" must match the OCI ref.name grammar (letters, digits, "/" and inner -._:@+)`, `e.g. ${transport}:${path}:ns/app:1.0`);
      }
      return { transport, path, name };
    }
    case 'dir':
      if (rest === '') throw invalid(input, 'PATH is empty', 'e.g. dir:/tmp/image');
      return { transport: 'dir', path: rest };
    case 'docker-archive':
      return parseDockerArchive(input, rest);
    case 'docker-daemon':
      return { transport: 'docker-daemon', ...parseDockerDaemonImage(rest) };
    case 'containers-storage':
      return { transport: 'containers-storage', ...parseStorageImage(rest) };
    case 'oc-disk': {
      const { path, name } = splitPath(input, transport, rest);
      if (name === undefined) throw invalid(input, 'REPOSITORY is missing', `e.g. ${EXAMPLES['oc-disk']}`);
      return { transport, path, ...parseOcDiskName(name) };
    }
    default:
      if (SKOPEO_ONLY.has(transport)) throw invalid(input, `transport "${transport}" is not supported by ferry`);
      throw invalid(input, `unknown transport "${transport}"`, guessHint(input));
  }
}

function parseDocker(input: string, rest: string): TransportRef {
  if (!rest.startsWith('//')) {
    throw invalid(input, 'the docker transport needs "//" after "docker:"', `write docker://${rest.replace(/^\/+/, '')}`);
  }
  return { transport: 'docker', ref: parseReference(rest.slice(2)) };
}

/** PATH ends at the first colon (as skopeo); what follows, when present, must not be empty. */
function splitPath(input: string, transport: string, rest: string): { path: string; name?: string } {
  const colon = rest.indexOf(':');
  const path = colon === -1 ? rest : rest.slice(0, colon);
  if (path === '') throw invalid(input, 'PATH is empty', `e.g. ${EXAMPLES[transport] ?? SUPPORTED_HINT}`);
  if (colon === -1) return { path };
  const name = rest.slice(colon + 1);
  if (name === '') throw invalid(input, `nothing after the ":" that ends PATH "${path}"`, `drop the trailing ":" or add a name, e.g. ${transport}:${path}:app:1.0`);
  return { path, name };
}

function parseDockerArchive(input: string, rest: string): TransportRef {
  const { path, name } = splitPath(input, 'docker-archive', rest);
  if (name === undefined) return { transport: 'docker-archive', path };
  if (name.startsWith('@')) {
    const digits = name.slice(1);
    const index = /^[0-9]+$/.test(digits) ? Number(digits) : Number.NaN;
    if (!Number.isSafeInteger(index)) {
      throw invalid(input, `image index "${digits}" must be a non-negative integer`, `e.g. docker-archive:${path}:@0`);
    }
    return { transport: 'docker-archive', path, index };
  }
  const ref = parseReference(name);
  // A docker save tar records repo:tag names only; a digest cannot select or name an image there (skopeo agrees).
  if (ref.digest !== undefined) {
    throw invalid(input, 'a docker-archive reference cannot carry a digest', `use a tag, e.g. docker-archive:${path}:app:1.0`);
  }
  return { transport: 'docker-archive', path, ref: withDefaultTag(ref) };
}

/**
 * The inverse of {@link parseTransportRef}: parsing the result yields an
 * equal TransportRef. Image references are written in familiar form, as
 * skopeo prints them.
 *
 * @throws FerryError `INVALID_REFERENCE` when a PATH that must end at a colon holds one, or both ref and index are set.
 */
export function formatTransportRef(t: TransportRef): string {
  switch (t.transport) {
    case 'docker':
      return `docker://${familiarString(t.ref)}`;
    case 'dir':
      return `dir:${t.path}`;
    case 'oci':
    case 'oci-archive':
      return `${t.transport}:${checkPath(t.transport, t.path)}${t.name !== undefined ? `:${t.name}` : ''}`;
    case 'docker-archive': {
      const head = `docker-archive:${checkPath(t.transport, t.path)}`;
      if (t.ref !== undefined && t.index !== undefined) {
        throw new FerryError('INVALID_REFERENCE', `docker-archive reference for "${t.path}" has both a name and an index; use one`);
      }
      if (t.ref !== undefined) return `${head}:${familiarString(t.ref)}`;
      if (t.index !== undefined) return `${head}:@${t.index}`;
      return head;
    }
    case 'docker-daemon':
      return `docker-daemon:${formatDockerDaemonImage(t)}`;
    case 'containers-storage':
      return `containers-storage:${formatStorageImage(t)}`;
    case 'oc-disk':
      return `oc-disk:${checkPath(t.transport, t.path)}:${formatOcDiskName(t)}`;
  }
}

function checkPath(transport: string, path: string): string {
  if (path === '' || path.includes(':')) {
    throw new FerryError('INVALID_REFERENCE', `${transport} path "${path}" cannot be written as ${transport}:PATH: it is empty or holds a ":"`, {
      hint: 'use a path without ":" (a relative path or a symlink)',
    });
  }
  return path;
}
