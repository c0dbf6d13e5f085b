import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { FerryError, throwIfAborted } from '../errors.ts';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.ts';
import { KUBERNETES_RESOURCE_FILES, clusterResources, type RepositoryMapping } from '../mirror/cluster-resources.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/**
 * What a mirrored release needs in the cluster besides images (OpenShift's
 * "Mirroring Manifests" enhancement): its signatures as a ConfigMap the
 * cluster-version operator reads, and the mirror configuration (ICSP, IDMS,
 * ITMS). Each is a Kubernetes object, written as one YAML file and applied
 * as is.
 */

/** Where the cluster-version operator looks for release signatures. */
export const SIGNATURE_NAMESPACE = 'openshift-config-managed';
/** The label that marks a ConfigMap as holding release signatures. */
export const SIGNATURE_LABEL = 'release.openshift.io/verification-signatures';
/** oc names signature files with this much of the digest. */
const FILE_DIGEST_CHARS = 16;

/** One Kubernetes object: the file it is written to and the object itself. */
export interface ReleaseManifest {
  file: string;
  object: KubernetesObject;
  /** The object as YAML: the file's content. */
  text: string;
}

/** The fields of a Kubernetes object this module writes and the apply step reads. */
export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * The ConfigMap holding the signatures of release `digest`: namespace
 * openshift-config-managed, name `sha256-<hex>`, the verification label, and
 * `binaryData` key `sha256-<hex>-<n>` (n from 1) per signature, the bytes
 * exactly as signed.
 */
export function signatureConfigMap(digest: Digest, signatures: readonly Uint8Array[]): ReleaseManifest {
  const name = `${digestAlgorithm(digest)}-${digestHex(digest)}`;
  const binaryData: Record<string, string> = {};
  for (const [i, blob] of signatures.entries()) binaryData[`${name}-${i + 1}`] = Buffer.from(blob).toString('base64');
  const object: KubernetesObject = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: SIGNATURE_NAMESPACE, labels: { [SIGNATURE_LABEL]: '' } },
    binaryData,
  };
  return { file: `signature-${digestAlgorithm(digest)}-${digestHex(digest).slice(0, FILE_DIGEST_CHARS)}.yaml`, object, text: stringify(object) };
}

/** The ImageContentSourcePolicy, ImageDigestMirrorSet and ImageTagMirrorSet sending pulls of the sources to their mirrors. */
export function mirrorManifests(mappings: readonly RepositoryMapping[], name: string): ReleaseManifest[] {
  return clusterResources(mappings, { name })
    .filter((file) => KUBERNETES_RESOURCE_FILES.includes(file.name))
    // The text is ours, made just now: reading it back gives the object to apply.
    .map((file) => ({ file: file.name, object: parse(file.content) as KubernetesObject, text: file.content }));
}

/** A Kubernetes object name for the mirror sets of release `version` (`release-4.3.0`). */
export function mirrorSetName(version: string): string {
  const name = `release-${version.toLowerCase().replace(/[^a-z0-9.-]+/g, '-')}`.replace(/[-.]+$/, '');
  return name.slice(0, 253);
}

/**
 * `imageContentSources` for install-config.yaml (`imageDigestSources` from
 * 4.14 on): each source repository with its mirrors, as oc prints it.
 */
export function installConfigSnippet(mappings: readonly RepositoryMapping[]): string {
  const bySource = new Map<string, Set<string>>();
  for (const m of mappings) {
    if (m.sourceRepository === m.mirrorRepository) continue;
    const mirrors = bySource.get(m.sourceRepository) ?? new Set<string>();
    mirrors.add(m.mirrorRepository);
    bySource.set(m.sourceRepository, mirrors);
  }
  const sources = [...bySource.keys()].sort().map((source) => ({ mirrors: [...bySource.get(source)!].sort(), source }));
  return stringify({ imageContentSources: sources });
}

/**
 * Writes each manifest into `dir` (created if needed), atomically, replacing
 * files of the same name. Returns the paths written.
 */
export async function writeReleaseManifests(dir: string, manifests: readonly ReleaseManifest[], options: { signal?: AbortSignal | undefined } = {}): Promise<string[]> {
  const out = resolve(dir);
  try {
    await mkdir(out, { recursive: true });
  } catch (cause) {
    throw new FerryError('IO', `cannot create ${out}: ${(cause as Error).message}`, { cause });
  }
  const written: string[] = [];
  for (const manifest of manifests) {
    throwIfAborted(options.signal);
    const path = join(out, manifest.file);
    await writeFileAtomic(path, manifest.text, { signal: options.signal });
    written.push(path);
  }
  return written;
}
