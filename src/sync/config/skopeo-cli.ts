import { FerryError } from '../../errors.ts';
import type { SyncDestinationTransport } from '../../transports/transport-table.ts';
import { parseReference, type ImageReference } from '../../ref/reference.ts';
import { checkRule } from './check-rule.ts';
import { allTags, explicitTags } from './image-items.ts';
import { splitRegistryPath } from './registry-options.ts';
import { Secret } from './secret.ts';
import { COMMAND_LINE, type Credentials, type Destination, type EngineSource, type Origin, type PlatformFilter, type RegistryOptions, type Source, type SourceRule, type SyncSpec } from './sync-spec.ts';
import { splitStorageSpec, type StorageSpec } from '../../ref/containers-storage-ref.ts';

/** skopeo's per-side flags: `--src-creds`, `--dest-tls-verify`, … */
export interface SkopeoSideFlags {
  /** `USERNAME:PASSWORD`. */
  creds?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  registryToken?: string | undefined;
  noCreds?: boolean | undefined;
  authfile?: string | undefined;
  certDir?: string | undefined;
  tlsVerify?: boolean | undefined;
}

/** The `skopeo sync` flags that shape the plan (run flags such as --dry-run stay with the CLI). */
export interface SkopeoSyncFlags {
  /** `--scoped`: keep the full source path under DEST. */
  scoped?: boolean | undefined;
  /** `--append-suffix`. */
  appendSuffix?: string | undefined;
  /** `--all`: every platform of an index, not just the running system's. */
  all?: boolean | undefined;
  /** `--authfile`, for both sides unless `--src-authfile`/`--dest-authfile` say otherwise. */
  authfile?: string | undefined;
  src?: SkopeoSideFlags | undefined;
  dest?: SkopeoSideFlags | undefined;
}

/** skopeo's `--dest` transports (those of the transport table a sync can write to, ferry's `oci` included). */
export type SkopeoDestTransport = SyncDestinationTransport;

/** The destination half of a `skopeo sync` command line. */
export interface SkopeoTarget {
  transport: SkopeoDestTransport;
  /** The DESTINATION argument: `registry[/path]`, or a directory. */
  destination: string;
}

const CLI: Origin = { file: COMMAND_LINE, line: 0 };

function usage(message: string, hint?: string): FerryError {
  return new FerryError('USAGE', message, { hint });
}

/**
 * Registry options from one side's flags, validated like skopeo does.
 * @throws FerryError `USAGE` for contradictory flags (creds with no-creds, creds with username, a username without password).
 */
export function sideOptions(side: SkopeoSideFlags | undefined, prefix: 'src' | 'dest', authfile?: string): RegistryOptions | undefined {
  const s = side ?? {};
  const flag = (name: string) => `--${prefix}-${name}`;
  if (s.noCreds === true && (s.creds !== undefined || s.username !== undefined || s.registryToken !== undefined)) {
    throw usage(`${flag('no-creds')} cannot be combined with ${flag('creds')}, ${flag('username')} or ${flag('registry-token')}`);
  }
  if (s.creds !== undefined && (s.username !== undefined || s.password !== undefined)) {
    throw usage(`${flag('creds')} cannot be combined with ${flag('username')}/${flag('password')}`);
  }
  if ((s.creds !== undefined || s.username !== undefined) && s.registryToken !== undefined) {
    throw usage(`${flag('registry-token')} cannot be combined with a username and password`);
  }
  let credentials: Credentials | undefined;
  if (s.noCreds === true) credentials = { kind: 'anonymous' };
  else if (s.registryToken !== undefined) credentials = { kind: 'token', token: new Secret(s.registryToken) };
  else if (s.creds !== undefined) {
    const colon = s.creds.indexOf(':');
    // skopeo would prompt for the password; a sync must run unattended.
    if (colon === -1) throw usage(`${flag('creds')} needs USERNAME:PASSWORD (ferry does not prompt for passwords)`);
    const username = s.creds.slice(0, colon);
    if (username === '') throw usage(`${flag('creds')} has an empty username`);
    credentials = { kind: 'basic', username, password: new Secret(s.creds.slice(colon + 1)) };
  } else if (s.username !== undefined || s.password !== undefined) {
    if (s.username === undefined || s.username === '') throw usage(`${flag('password')} needs ${flag('username')}`);
    if (s.password === undefined) throw usage(`${flag('username')} needs ${flag('password')} (ferry does not prompt for passwords)`);
    credentials = { kind: 'basic', username: s.username, password: new Secret(s.password) };
  }
  const out: RegistryOptions = {};
  if (credentials !== undefined) out.credentials = credentials;
  const file = s.authfile ?? authfile;
  if (file !== undefined) out.authFile = file;
  if (s.certDir !== undefined) out.certDir = s.certDir;
  if (s.tlsVerify !== undefined) out.tlsVerify = s.tlsVerify;
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * The destination of a skopeo-style sync: `docker` DEST is `registry[/path]`
 * (a first element without "." or ":" is a Docker Hub namespace, as in
 * skopeo), `oci` DEST an OCI layout directory, `dir` DEST a directory.
 * @throws FerryError `USAGE` for an empty or malformed DEST.
 */
export function skopeoDestination(target: SkopeoTarget, flags: SkopeoSyncFlags, origin: Origin = CLI): Destination {
  const naming = { mode: 'skopeo', scoped: flags.scoped === true } as const;
  const suffix = flags.appendSuffix === '' ? undefined : flags.appendSuffix;
  const base = { naming, suffix, origin };
  if (target.destination === '') throw usage('DESTINATION is empty');
  if (target.transport === 'docker') {
    const text = target.destination.replace(/^docker:\/\//, '');
    const split = splitRegistryPath(text);
    if ('problem' in split) throw usage(`invalid docker DESTINATION "${target.destination}": ${split.problem}`, 'expected REGISTRY[/PATH], e.g. registry.example.com/mirror');
    return { location: { transport: 'docker', root: split.registry }, path: split.path, ...base, options: sideOptions(flags.dest, 'dest', flags.authfile) };
  }
  const prefix = `${target.transport}:`;
  return { location: { transport: target.transport, root: target.destination.startsWith(prefix) ? target.destination.slice(prefix.length) : target.destination }, path: '', ...base };
}

/** skopeo's platform choice: the running system's image, or every image with `--all`. */
export function skopeoPlatforms(flags: SkopeoSyncFlags): PlatformFilter {
  return flags.all === true ? { kind: 'all' } : { kind: 'system' };
}

/**
 * `--src docker SOURCE`: a repository (every tag) or one image
 * (`repo:tag` or `repo@digest`), as `skopeo sync` reads it.
 * @throws FerryError `USAGE` for a malformed SOURCE or DESTINATION.
 */
export function skopeoDockerSource(source: string, target: SkopeoTarget, flags: SkopeoSyncFlags = {}): SyncSpec {
  let ref: ImageReference;
  try {
    ref = parseReference(source.replace(/^docker:\/\//, ''));
  } catch (error) {
    throw usage(`invalid docker SOURCE: ${error instanceof FerryError ? error.message : String(error)}`, 'expected REPOSITORY or REPOSITORY:TAG, e.g. quay.io/coreos/etcd');
  }
  return oneRepositorySpec('docker', source, { kind: 'repository', registry: ref.registry, repository: ref.repository }, ref, target, flags, sideOptions(flags.src, 'src', flags.authfile));
}

/** The one rule a skopeo-style SOURCE names: one image (by tag or digest) or, without either, every tag of the repository. */
function oneRepositorySpec(kind: string, text: string, source: Source, ref: ImageReference, target: SkopeoTarget, flags: SkopeoSyncFlags, sourceOptions?: RegistryOptions): SyncSpec {
  if (ref.tag !== undefined && ref.digest !== undefined) throw usage(`${kind} SOURCE "${text}" has both a tag and a digest; give one`);
  const tags =
    ref.tag !== undefined ? explicitTags([{ tag: ref.tag }]) : ref.digest !== undefined ? explicitTags([{ digest: ref.digest }]) : allTags();
  const rule: SourceRule = {
    source,
    sourceOptions,
    tags,
    platforms: skopeoPlatforms(flags),
    destinations: [skopeoDestination(target, flags)],
    origin: CLI,
  };
  checkRule(rule);
  return { sources: [rule], registries: [], defaults: {}, warnings: [] };
}

/**
 * `--src oci PATH`: every image of an OCI layout (named by their
 * `ref.name`), destination names as skopeo derives them from the ref names.
 */
export function skopeoLayoutSource(path: string, target: SkopeoTarget, flags: SkopeoSyncFlags = {}): SyncSpec {
  const layout = path.replace(/^oci:/, '');
  if (layout === '') throw usage('oci SOURCE is empty; give the layout directory');
  const rule: SourceRule = {
    source: { kind: 'oci-layout', path: layout },
    tags: allTags(),
    platforms: skopeoPlatforms(flags),
    destinations: [skopeoDestination(target, flags)],
    origin: CLI,
  };
  return { sources: [rule], registries: [], defaults: {}, warnings: [] };
}

/**
 * `--src docker-daemon|containers-storage SOURCE`: a repository of a local
 * engine (every tag the engine has) or one image (`repo:tag`, `repo@digest`);
 * for containers-storage SOURCE may start with the store, `[vfs@/ROOT+/RUNROOT]app`.
 * Not in skopeo sync, which reads only registries and directories.
 * @throws FerryError `USAGE` for a malformed SOURCE.
 */
export function skopeoEngineSource(transport: EngineSource['transport'], source: string, target: SkopeoTarget, flags: SkopeoSyncFlags = {}, daemonHost?: string): SyncSpec {
  let text = source.startsWith(`${transport}:`) ? source.slice(transport.length + 1) : source;
  let store: StorageSpec | undefined;
  let ref: ImageReference;
  try {
    if (transport === 'containers-storage') ({ store, rest: text } = splitStorageSpec(text));
    ref = parseReference(text);
  } catch (error) {
    throw usage(`invalid ${transport} SOURCE: ${error instanceof FerryError ? error.message : String(error)}`, `expected REPOSITORY or REPOSITORY:TAG, e.g. ${transport === 'docker-daemon' ? 'app' : '[vfs@/var/lib/containers/storage]localhost/app'}`);
  }
  const engine: Source = { kind: 'engine', transport, registry: ref.registry, repository: ref.repository, ...(daemonHost !== undefined ? { daemonHost } : {}), ...(store ? { store } : {}) };
  return oneRepositorySpec(transport, source, engine, ref, target, flags);
}
