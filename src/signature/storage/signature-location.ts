import { resolve } from 'node:path';
import { isDigest } from '../../oci/digest.ts';
import { parseTransportRef, type TransportRef } from '../../ref/transport-ref.ts';
import type { ImageReference } from '../../ref/reference.ts';
import type { ImageTarget } from '../../repository/repository.ts';
import { RegistryRepository } from '../../transports/registry/registry-repository.ts';

/**
 * Where the signatures of an opened image live, by the kind of storage:
 * - a registry: simple signing signatures in the lookaside (or the registry's
 *   signature API), cosign attachments as tags, bundles as referrers;
 * - an OCI layout: simple signing signatures under `signatures/` beside
 *   `blobs/` (see SIGNATURES.md), cosign attachments as ref names;
 * - a `dir:` image: containers/image's `signature-N` files;
 * - anything else (archives): no signatures.
 */
export type SignatureLocation =
  | { kind: 'registry'; target: ImageTarget; repository: RegistryRepository; reference: ImageReference }
  | { kind: 'layout'; target: ImageTarget; dir: string; name: string | undefined }
  | { kind: 'dir'; target: ImageTarget; dir: string }
  | { kind: 'none'; target: ImageTarget; transport: string };

/** An opened image, optionally with the transport reference it was opened from. */
export interface SignatureTarget extends ImageTarget {
  /** The parsed `transport:reference`; read from {@link ImageTarget.display} when absent. */
  transportRef?: TransportRef | undefined;
}

/** The transport reference of a target: given, or parsed back from its display form. */
export function transportRefOf(target: SignatureTarget): TransportRef {
  return target.transportRef ?? parseTransportRef(target.display);
}

/** Classifies an opened image by where its signatures live. */
export function locateSignatures(target: SignatureTarget): SignatureLocation {
  const ref = transportRefOf(target);
  if (target.repository instanceof RegistryRepository) {
    const reference: ImageReference =
      ref.transport === 'docker'
        ? ref.ref
        : { registry: target.repository.client.registry, repository: target.repository.repository };
    if (ref.transport !== 'docker' && target.reference !== undefined) {
      if (isDigest(target.reference)) reference.digest = target.reference;
      else reference.tag = target.reference;
    }
    return { kind: 'registry', target, repository: target.repository, reference };
  }
  if (ref.transport === 'oci') return { kind: 'layout', target, dir: resolve(ref.path), name: ref.name };
  if (ref.transport === 'dir') return { kind: 'dir', target, dir: resolve(ref.path) };
  return { kind: 'none', target, transport: ref.transport };
}

/**
 * The reference of an attachment tag (`sha256-<hex>.sig`) next to the
 * image: the tag itself in a registry; in a layout, the image name's
 * repository part with that tag (`ns/app:sha256-<hex>.sig`), as ferry's
 * mirror store names them.
 */
export function attachmentReference(location: SignatureLocation, tag: string): string {
  const repo = layoutNameRepository(location);
  return repo === undefined ? tag : `${repo}:${tag}`;
}

/** The repository part of a layout image's name (`ns/app` of `ns/app:1.0`); undefined for other storages and unnamed images. */
export function layoutNameRepository(location: SignatureLocation): string | undefined {
  if (location.kind !== 'layout' || location.name === undefined) return undefined;
  const name = location.name;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}
