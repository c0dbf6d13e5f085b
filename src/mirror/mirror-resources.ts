import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IDMS_FILE, ITMS_FILE, clusterResources, type ClusterResourcesOptions, type RepositoryMapping } from './cluster-resources.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';

/** The Kubernetes manifests among the cluster resources (registries.conf is a node file, not an API object). */
const KUBERNETES_FILES = new Set([IDMS_FILE, ITMS_FILE]);

/**
 * Writes the cluster resources for `mappings` into `dir` (created if
 * needed): imagedigestmirrorset.yaml, imagetagmirrorset.yaml and
 * registries.conf, each replaced atomically. Returns the paths written.
 */
export async function writeClusterResources(dir: string, mappings: readonly RepositoryMapping[], options: ClusterResourcesOptions = {}): Promise<string[]> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const file of clusterResources(mappings, options)) {
    const path = join(out, file.name);
    await writeFileAtomic(path, file.content);
    written.push(path);
  }
  return written;
}

/**
 * Writes only the Kubernetes manifests (the two mirror sets) into `dir`, for
 * `kubectl apply -Rf DIR`. Returns the paths written.
 */
export async function writeKubernetesManifests(dir: string, mappings: readonly RepositoryMapping[], options: ClusterResourcesOptions = {}): Promise<string[]> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const file of clusterResources(mappings, options)) {
    if (!KUBERNETES_FILES.has(file.name)) continue;
    const path = join(out, file.name);
    await writeFileAtomic(path, file.content);
    written.push(path);
  }
  return written;
}
