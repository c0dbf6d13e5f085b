import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { parseReference } from '../ref/reference.ts';
import { parseOcDiskName } from '../ref/oc-disk-ref.ts';
import type { TransportRef } from '../ref/transport-ref.ts';
import type { RepositoryMapping } from '../mirror/cluster-resources.ts';
import type { Destination, Origin, Source, SourceRule, SyncSpec } from '../sync/config/sync-spec.ts';
import type { ImageReferences } from './image-references.ts';

/**
 * A release mirror as a sync plan: one rule per component (by digest, to
 * `<version>-<component>`) and, last, the release image itself (to
 * `<version>`, and `--to-release-image`). The sync engine then does what it
 * does for every plan: HEAD-skips what is there, copies the rest through the
 * one run loop with one blob tracker, and reports.
 */

/** A repository of a registry, or of oc's disk format under a directory. */
export type ReleaseRepository =
  | { kind: 'registry'; registry: string; repository: string }
  | { kind: 'oc-disk'; path: string; repository: string };

/** Where the release image goes besides `--to`: a repository and a tag (none: by digest only). */
export interface ReleaseImageTarget {
  repository: ReleaseRepository;
  tag?: string | undefined;
}

/** oc writes a release to this repository of the --to-dir directory when --to names none. */
export const DEFAULT_DISK_REPOSITORY = 'openshift/release';

const FILE_SCHEME = 'file://';

function nameOf(text: string): { file: boolean; name: string } {
  if (!text.startsWith(FILE_SCHEME)) return { file: false, name: text.replace(/^docker:\/\//, '') };
  const rest = text.slice(FILE_SCHEME.length);
  return { file: true, name: rest.startsWith('/') ? rest.slice(1) : rest };
}

function usage(flag: string, text: string, error: unknown, hint: string): FerryError {
  return new FerryError('USAGE', `${flag} "${text}": ${error instanceof FerryError ? error.message : String(error)}`, { hint });
}

/**
 * `--from`: a release image by tag or digest, in a registry
 * (`quay.io/openshift-release-dev/ocp-release:4.3.0-x86_64`) or, as
 * `file://REPOSITORY:TAG`, in oc's disk format under `fromDir`.
 *
 * @throws FerryError `USAGE` for a malformed reference or one without tag or digest.
 */
export function parseReleaseSource(text: string, fromDir: string | undefined): TransportRef & { transport: 'docker' | 'oc-disk' } {
  const { file, name } = nameOf(text);
  const hint = 'e.g. --from quay.io/openshift-release-dev/ocp-release:4.3.0-x86_64, or --from file://openshift/release:4.3.0 --from-dir DIR';
  let ref: TransportRef & { transport: 'docker' | 'oc-disk' };
  try {
    ref = file ? { transport: 'oc-disk', path: fromDir ?? '.', ...parseOcDiskName(name) } : { transport: 'docker', ref: parseReference(name) };
  } catch (error) {
    throw usage('--from', text, error, hint);
  }
  const pinned = ref.transport === 'docker' ? ref.ref : ref;
  if (pinned.tag === undefined && pinned.digest === undefined) throw new FerryError('USAGE', `--from "${text}" needs a tag or a digest`, { hint });
  return ref;
}

/**
 * `--to` (a repository, no tag: `REGISTRY/REPOSITORY` or `file://REPOSITORY`
 * under `dir`) and `--to-release-image` (a repository with an optional tag).
 *
 * @throws FerryError `USAGE` for a malformed reference, a digest, or a tag where none may be.
 */
export function parseReleaseTarget(text: string, dir: string | undefined, flag: string, options: { tag: boolean }): ReleaseImageTarget {
  const { file, name } = nameOf(text);
  const hint = options.tag ? 'e.g. registry.internal:5000/ocp/release:4.3.0' : 'e.g. registry.internal:5000/ocp/release, or file://openshift/release with --to-dir DIR';
  let target: ReleaseImageTarget;
  let digest: Digest | undefined;
  try {
    if (file) {
      const parsed = parseOcDiskName(name);
      target = { repository: { kind: 'oc-disk', path: dir ?? '.', repository: parsed.repository }, tag: parsed.tag };
      digest = parsed.digest;
    } else {
      const parsed = parseReference(name);
      target = { repository: { kind: 'registry', registry: parsed.registry, repository: parsed.repository }, tag: parsed.tag };
      digest = parsed.digest;
    }
  } catch (error) {
    throw usage(flag, text, error, hint);
  }
  if (digest !== undefined) throw new FerryError('USAGE', `${flag} "${text}" has a digest; mirrored images keep their digests, give a repository${options.tag ? ' and tag' : ''}`, { hint });
  if (!options.tag && target.tag !== undefined) throw new FerryError('USAGE', `${flag} "${text}" has a tag; it names a repository (each image is tagged <version>-<component>)`, { hint });
  return target;
}

/** `registry/repository`, or `file://repository` for oc's disk format. */
export function describeRepository(repository: ReleaseRepository): string {
  return repository.kind === 'registry' ? `${repository.registry}/${repository.repository}` : `file://${repository.repository}`;
}

export interface ReleaseSpecInput {
  /** The release image as given, and the digest it was read (and verified) at. */
  source: TransportRef & { transport: 'docker' | 'oc-disk' };
  digest: Digest;
  references: ImageReferences;
  to: ReleaseRepository;
  toReleaseImage?: ReleaseImageTarget | undefined;
  /** Component digests the release's own oc-disk repository holds: those are read there (oc's --from-dir), the rest from their registries. */
  localDigests?: ReadonlySet<Digest> | undefined;
}

function destination(target: ReleaseRepository, tag: string | undefined, origin: Origin): Destination {
  const location = target.kind === 'registry' ? { transport: 'docker' as const, root: target.registry } : { transport: 'oc-disk' as const, root: target.path };
  return { location, path: target.repository, naming: { mode: 'explicit', tag }, origin };
}

/** The sync spec of a release mirror (see the module comment). */
export function releaseSpec(input: ReleaseSpecInput): SyncSpec {
  const { source, digest, references, to } = input;
  const origin: Origin = { file: 'release-manifests/image-references', line: 0 };
  const release: Source = source.transport === 'docker'
    ? { kind: 'repository', registry: source.ref.registry, repository: source.ref.repository }
    : { kind: 'oc-disk', path: source.path, repository: source.repository };
  const rule = (from: Source, d: Digest, destinations: Destination[]): SourceRule => ({
    source: from, tags: { kind: 'explicit', tags: [], digests: [d] }, platforms: { kind: 'all' }, destinations, origin,
  });
  const rules = references.components.map((c) => {
    const from: Source = source.transport === 'oc-disk' && input.localDigests?.has(c.image.digest) === true
      ? release
      : { kind: 'repository', registry: c.image.registry, repository: c.image.repository };
    return rule(from, c.image.digest, [destination(to, `${references.version}-${c.name}`, origin)]);
  });
  // The release image last: once its tag is there, every image it names is too.
  const releaseDestinations = [destination(to, references.version, origin)];
  if (input.toReleaseImage !== undefined) releaseDestinations.push(destination(input.toReleaseImage.repository, input.toReleaseImage.tag, origin));
  rules.push(rule(release, digest, releaseDestinations));
  return { sources: rules, registries: [], defaults: {}, warnings: [] };
}

/**
 * Source repository → mirror repository for the mirror sets: every
 * component's repository to `--to`, and the release's own repository (when
 * it came from a registry) to `--to` and `--to-release-image`. Nothing for
 * destinations on disk: their registry is not known yet.
 */
export function releaseMappings(input: ReleaseSpecInput): RepositoryMapping[] {
  if (input.to.kind !== 'registry') return [];
  const to = describeRepository(input.to);
  const mappings = input.references.components.map((c) => ({ sourceRepository: `${c.image.registry}/${c.image.repository}`, mirrorRepository: to }));
  if (input.source.transport === 'docker') {
    const from = `${input.source.ref.registry}/${input.source.ref.repository}`;
    mappings.push({ sourceRepository: from, mirrorRepository: to });
    if (input.toReleaseImage?.repository.kind === 'registry') mappings.push({ sourceRepository: from, mirrorRepository: describeRepository(input.toReleaseImage.repository) });
  }
  return mappings;
}
