import type { SyncDestinationTransport } from '../../transports/transport-table.ts';
import type { Digest } from '../../oci/digest.ts';
import type { PlatformSelector } from '../../oci/platform.ts';
import type { StorageSpec } from '../../ref/containers-storage-ref.ts';
import type { Secret } from './secret.ts';

/**
 * The one normalised form every `ferry sync` input becomes (skopeo YAML and
 * command line, image-syncer files, `oc image mirror` mappings, ferry's own
 * YAML). Parsers validate everything before they return one, so the engine
 * can trust its shape: registries and repositories are normalised
 * (`docker.io/library/nginx`), regexes and semver ranges compile, tags and
 * digests are well formed.
 *
 * Nothing here is resolved against a registry yet: a rule still says "the
 * tags of X that match Y"; the engine lists tags (and `_catalog` for
 * {@link CatalogSource}) and calls the pure helpers in `src/sync/select/`.
 */
export interface SyncSpec {
  /** The rules, in input order. */
  sources: SourceRule[];
  /**
   * Per-registry settings that apply to any image on a registry (or under a
   * `registry/namespace` scope), as source or destination. See
   * `resolveRegistryOptions` for how they combine with a rule's own options.
   */
  registries: RegistryEntry[];
  /** Settings for the whole run that the input may carry; command-line flags override them. */
  defaults: SyncDefaults;
  /** Things worth telling the user that do not stop the run (e.g. a registry with no images). */
  warnings: ConfigWarning[];
}

/** Where a rule, setting or warning was written. */
export interface Origin {
  /** The file as the user named it, or `command line` for flags and arguments. */
  file: string;
  /** 1-based line; 0 when the input has no lines (command-line arguments). */
  line: number;
}

/** The `file` of an {@link Origin} that came from command-line arguments. */
export const COMMAND_LINE = 'command line';

/** `file:line`, or just `file` when there is no line. */
export function formatOrigin(origin: Origin): string {
  return origin.line > 0 ? `${origin.file}:${origin.line}` : origin.file;
}

export interface ConfigWarning {
  origin: Origin;
  message: string;
}

/** Run-wide settings an input file may set. */
export interface SyncDefaults {
  /** Images copied in parallel (ferry YAML `defaults.jobs`). */
  jobs?: number | undefined;
}

/** One rule: images from one source, narrowed by tag and platform, copied to one or more destinations. */
export interface SourceRule {
  source: Source;
  /** Settings for reading the source (skopeo `--src-*` flags and per-registry YAML entries); override {@link SyncSpec.registries}. */
  sourceOptions?: RegistryOptions | undefined;
  tags: TagSelector;
  platforms: PlatformFilter;
  /** At least one. Every selected image goes to each. */
  destinations: Destination[];
  origin: Origin;
}

/** Where images come from. */
export type Source = RepositorySource | CatalogSource | LayoutSource | EngineSource | OcDiskSource;

/** One repository on a registry. */
export interface RepositorySource {
  kind: 'repository';
  /** Normalised host[:port], e.g. `docker.io`, `localhost:5000`. */
  registry: string;
  /** Normalised path, e.g. `library/nginx`. */
  repository: string;
}

/**
 * Every repository of a registry that passes a filter; the engine lists them
 * with `GET /v2/_catalog` (which Docker Hub does not offer — parsers turn
 * literal repository names into {@link RepositorySource}s so they never need it).
 */
export interface CatalogSource {
  kind: 'catalog';
  registry: string;
  repositories: RepositoryFilter;
}

/** Include/exclude globs over repository paths, Harbor semantics (`*` within a segment, `**` across). */
export interface RepositoryFilter {
  /** A repository is taken when it matches any of these; empty means every repository. */
  include: string[];
  /** …and none of these. */
  exclude: string[];
}

/**
 * The images of a local OCI image layout, named by their
 * `org.opencontainers.image.ref.name` annotation. A name `ns/app:1.0` is
 * repository `ns/app`, tag `1.0`; a bare `1.0` (what skopeo and most tools
 * write) belongs to {@link LayoutSource.repository}, or to the layout
 * directory's base name when that is unset. See `layoutImageOf`.
 */
export interface LayoutSource {
  kind: 'oci-layout';
  /** The layout directory as given (relative paths are relative to the working directory). */
  path: string;
  /** Only images of this repository; also the repository of bare-tag names. */
  repository?: string | undefined;
}

/**
 * One repository of images built on this machine: in a Docker daemon
 * (`docker-daemon:`) or in containers/storage (`containers-storage:`, through
 * Podman). Its tags are listed from the engine; every image is one platform.
 */
export interface EngineSource {
  kind: 'engine';
  transport: 'docker-daemon' | 'containers-storage';
  /** Normalised like registry sources: `docker.io`, `localhost` (what Podman names its own builds). */
  registry: string;
  repository: string;
  /** The daemon (`--src-daemon-host`); default DOCKER_HOST, else the local socket. */
  daemonHost?: string | undefined;
  /** The containers-storage store (`[DRIVER@ROOT+RUNROOT]`); default storage.conf's. */
  store?: StorageSpec | undefined;
}

/**
 * One repository of oc's disk format (`oc image mirror --from-dir DIR
 * file://REPOSITORY:…`): `DIR/v2/REPOSITORY`. Its images are named by the
 * repository path alone; they have no registry.
 */
export interface OcDiskSource {
  kind: 'oc-disk';
  /** The directory as given (relative paths are relative to the working directory). */
  path: string;
  repository: string;
}

/**
 * Which images of a repository to copy.
 * - `explicit`: exactly these tags and digests; no tag listing needed.
 * - `filter`: list the tags, keep those matching every given criterion, then
 *   optionally only the newest N. A filter with no criteria takes all tags.
 */
export type TagSelector = ExplicitTags | TagFilter;

export interface ExplicitTags {
  kind: 'explicit';
  tags: string[];
  digests: Digest[];
}

export interface TagFilter {
  kind: 'filter';
  /** Globs (`*`, `?`, `[…]`, `{a,b}`); a tag is kept when it matches any. Empty means all. */
  include: string[];
  /** Globs; a tag matching any is dropped. */
  exclude: string[];
  /**
   * A JavaScript regular expression source, unanchored like Go's
   * `MatchString` (skopeo, image-syncer): write `^…$` to match whole tags.
   * A leading Go flag group such as `(?i)` has already been turned into flags.
   */
  regex?: RegexSpec | undefined;
  /**
   * A semver range in skopeo's (Masterminds) syntax, e.g. `>=1.2, <2` or
   * `~1.24 || ^2`: tags that parse as a version, with or without a leading
   * `v` (`1.2` is 1.2.0), and satisfy it. Pre-releases only match a range
   * that names one.
   */
  semver?: string | undefined;
  /** After the other criteria: only the newest N tags. */
  newest?: NewestTags | undefined;
}

export interface RegexSpec {
  source: string;
  flags: string;
}

export interface NewestTags {
  count: number;
  /**
   * `semver`: the highest versions (tags that do not parse as a version are
   * dropped); `created`: the latest image creation times, which the engine
   * supplies through `selectTags`' `createdOf` (tags without a time sort last).
   */
  by: 'semver' | 'created';
}

/**
 * Which images of a multi-platform index to copy.
 * - `all`: the whole index, unchanged (digest preserved).
 * - `system`: only the image for the platform ferry runs on (skopeo's default without `--all`).
 * - `list`: the images matching any of these platforms.
 * - `matching`: `oc image mirror --filter-by-os`: the images whose
 *   `os/arch[/variant]` the regex matches (unanchored); one match is copied
 *   alone unless `keepList` (`--keep-manifest-list`). Images that are not an
 *   index are copied as they are.
 * - `os-arch`: every image whose OS is one of `os` and architecture one of
 *   `architectures` (an empty list allows any): image-syncer's `--os`/`--arch`.
 */
export type PlatformFilter =
  | { kind: 'all' }
  | { kind: 'system' }
  | { kind: 'list'; platforms: PlatformSelector[] }
  | { kind: 'matching'; regex: RegexSpec; keepList: boolean }
  | { kind: 'os-arch'; os: string[]; architectures: string[] };

/** Where a rule's images go and what they are called there. */
export interface Destination {
  location: DestinationLocation;
  /**
   * Meaning depends on {@link Naming}: the prefix under which images are
   * named (`skopeo`), the namespace (`flatten`), or the complete repository
   * (`explicit`). Never starts or ends with `/`; may be empty for `skopeo`
   * and `flatten`.
   */
  path: string;
  naming: Naming;
  /** Appended to every destination tag (skopeo `--append-suffix`, ferry `suffix`). */
  suffix?: string | undefined;
  /** Settings for writing (skopeo `--dest-*` flags); override {@link SyncSpec.registries}. */
  options?: RegistryOptions | undefined;
  origin: Origin;
}

/**
 * A destination storage: a transport of the transport table that can take
 * many images, and its root — a registry host (`docker`), an OCI layout
 * directory whose images are named by `org.opencontainers.image.ref.name`
 * (`oci`), a directory with one skopeo `dir:` image per name under it (`dir`).
 */
export interface DestinationLocation {
  transport: SyncDestinationTransport;
  root: string;
}

/**
 * How the destination repository and tag are derived from the source image.
 * - `skopeo`: `PATH/<last path element of the source>:<tag>`, or with
 *   `scoped` `PATH/<registry>/<repository>:<tag>` — exactly `skopeo sync`.
 * - `flatten`: Harbor's replication naming under namespace PATH:
 *   `-1` keeps only the last element (`ns/image`), `0` keeps the whole source
 *   path (`ns/a/b/c/image`), `N` (1–3) drops the first N elements
 *   (`ns/b/c/image` for 1) and fails for a source with fewer than N+1
 *   elements. An empty PATH keeps the source path unchanged, as Harbor does.
 * - `explicit`: the repository is PATH itself (image-syncer, `oc image mirror`);
 *   the tag is `tag` when given, else the source's tag (or digest).
 */
export type Naming =
  | { mode: 'skopeo'; scoped: boolean }
  | { mode: 'flatten'; level: FlattenLevel }
  | { mode: 'explicit'; tag?: string | undefined };

export type FlattenLevel = -1 | 0 | 1 | 2 | 3;

/** A `registries:` / auth-file entry. */
export interface RegistryEntry {
  /** `host[:port]` or `host[:port]/namespace…`, normalised (Docker Hub aliases → `docker.io`). */
  scope: string;
  options: RegistryOptions;
  origin: Origin;
}

/** How to talk to a registry. Every field is optional; unset means "inherit". */
export interface RegistryOptions {
  credentials?: Credentials | undefined;
  /** A containers-auth.json / docker config.json to look credentials up in. */
  authFile?: string | undefined;
  /** false: skip certificate verification and allow plain HTTP (skopeo's `tls-verify: false`, image-syncer's `insecure: true`). */
  tlsVerify?: boolean | undefined;
  /** Directory with `*.crt` (CAs) and `*.cert`/`*.key` (client) files, as skopeo's `--cert-dir`. */
  certDir?: string | undefined;
  /** Concurrent requests to this registry. */
  maxConcurrency?: number | undefined;
  /** Request rate cap. */
  requestsPerSecond?: number | undefined;
  /** Transfer cap in bytes per second; 0 (Harbor's -1) is no cap, overriding a broader scope's. */
  bandwidth?: number | undefined;
}

/**
 * Credentials for one registry. Secrets redact themselves in logs and JSON.
 * - `basic`: username and password (or a personal access token as password);
 * - `token`: a bearer token sent as is (skopeo `--registry-token`);
 * - `identity-token`: an OAuth2 refresh token exchanged at the token server (docker's `identitytoken`, image-syncer's `identityToken`);
 * - `anonymous`: explicitly none, not even from an auth file (skopeo `--no-creds`).
 */
export type Credentials =
  | { kind: 'basic'; username: string; password: Secret }
  | { kind: 'token'; token: Secret }
  | { kind: 'identity-token'; token: Secret }
  | { kind: 'anonymous' };
