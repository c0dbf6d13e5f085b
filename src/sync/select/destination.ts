import { posix } from 'node:path';
import { FerryError } from '../../errors.ts';
import type { TransportRefOf } from '../../ref/transport-ref.ts';
import { destinationNaming, type SyncDestinationTransport } from '../../transports/transport-table.ts';
import { formatOrigin, type Destination, type SourceRule } from '../config/sync-spec.ts';
import { flattenRepository } from './flatten.ts';
import type { SourceImage } from './source-image.ts';

/** Where one source image is written: a reference of a destination transport (an OCI layout's `name` is the ref.name to write). */
export type TargetImage = TransportRefOf<SyncDestinationTransport>;

/** The targets of an image for every destination of its rule, in order. */
export function destinationsFor(rule: SourceRule, image: SourceImage): TargetImage[] {
  return rule.destinations.map((d) => destinationFor(d, image));
}

/**
 * Names a source image at a destination (see the Naming type for the modes):
 * skopeo's `PATH/<last element>:<tag>` or scoped `PATH/<registry>/<repo>:<tag>`
 * — byte for byte what `skopeo sync` produces, including Docker Hub's
 * `docker.io/library/…` in scoped names; Harbor flattening under a namespace;
 * or an explicit repository (and tag). The suffix is appended to the tag.
 * Images named by digest keep the digest.
 *
 * @throws FerryError `INVALID_CONFIG` naming the rule's file:line when the
 * result is not a valid name (e.g. skopeo's `--scoped` with a source
 * registry that has a port, which skopeo rejects too), a suffix meets a
 * digest-only image, or a flattening level exceeds the source's depth.
 */
export function destinationFor(dest: Destination, image: SourceImage): TargetImage {
  if (image.tag === undefined && image.digest === undefined) {
    throw new FerryError('INVALID_REFERENCE', `source image ${image.repository} has neither a tag nor a digest`);
  }
  const where = formatOrigin(dest.origin);
  const source = describeImage(image);
  if (dest.suffix !== undefined && image.tag === undefined && !(dest.naming.mode === 'explicit' && dest.naming.tag !== undefined)) {
    throw new FerryError('INVALID_CONFIG', `${where}: cannot append suffix "${dest.suffix}" to ${source}: it is selected by digest, not by tag`, {
      hint: 'select it by tag, or drop the suffix',
    });
  }

  let repository: string;
  let tag: string | undefined;
  if (dest.naming.mode === 'skopeo') {
    const name = posix.join(dest.path === '' ? '.' : dest.path, skopeoSuffix(image, dest.naming.scoped)) + (dest.suffix ?? '');
    return fromName(dest, name, source, dest.naming.scoped && image.registry?.includes(':') === true);
  }
  if (dest.naming.mode === 'flatten') {
    try {
      repository = flattenRepository(image.repository, dest.path, dest.naming.level);
    } catch (error) {
      throw new FerryError('INVALID_CONFIG', `${where}: cannot flatten ${source}: ${(error as Error).message}`, {
        hint: 'use a lower flatten level, or -1 to keep only the last path element',
      });
    }
    tag = image.tag;
  } else {
    repository = dest.path;
    tag = dest.naming.tag ?? image.tag;
  }
  if (tag !== undefined) tag += dest.suffix ?? '';
  const name = repository + (tag !== undefined ? `:${tag}` : `@${image.digest}`);
  return fromName(dest, name, source, false);
}

/** What skopeo appends to DEST: the source reference string, or its last path element. */
function skopeoSuffix(image: SourceImage, scoped: boolean): string {
  let full: string;
  if (image.registry !== undefined) {
    full = `${image.registry}/${image.repository}${image.tag !== undefined ? `:${image.tag}` : `@${image.digest}`}`;
  } else {
    full = image.refName ?? `${image.repository}${image.tag !== undefined ? `:${image.tag}` : `@${image.digest}`}`;
  }
  return scoped ? full : posix.basename(full);
}

/** Turns `repository[:tag|@digest]` (relative to the location) into a target, validating it with the destination's naming. */
function fromName(dest: Destination, name: string, source: string, scopedPort: boolean): TargetImage {
  const named = destinationNaming(dest.location.transport).name(dest.location.root, name);
  if (!('problem' in named)) return named;
  throw new FerryError('INVALID_CONFIG', `${formatOrigin(dest.origin)}: destination ${named.subject} for ${source} ${named.problem}`, {
    hint: scopedPort
      ? 'with --scoped the source registry, port included, becomes part of the path, which skopeo rejects too; drop --scoped or use ferry YAML with a namespace and flatten'
      : named.hint,
  });
}

function describeImage(image: SourceImage): string {
  const base = image.registry !== undefined ? `${image.registry}/${image.repository}` : image.refName !== undefined ? `layout image "${image.refName}"` : image.repository;
  if (image.registry === undefined && image.refName !== undefined) return base;
  return base + (image.tag !== undefined ? `:${image.tag}` : `@${image.digest}`);
}

/** A target as text for plans and reports: `docker://REF`, `oci:LAYOUT:NAME`, `dir:PATH`. */
export function formatTarget(target: TargetImage): string {
  return destinationNaming(target.transport).display(target);
}
