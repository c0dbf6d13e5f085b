import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { KUBERNETES_RESOURCE_FILES, clusterResources, type ClusterResourcesOptions, type RepositoryMapping } from './cluster-resources.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';


/**
 * Writes the cluster resources for `mappings` into `dir` (created if
 * needed): imagecontentsourcepolicy.yaml, imagedigestmirrorset.yaml,
 * imagetagmirrorset.yaml and registries.conf, each replaced atomically. Returns the paths written.
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
 * Writes only the Kubernetes manifests (the ICSP and the two mirror sets) into `dir`, for
 * `kubectl apply -Rf DIR`. Returns the paths written.
 */
export async function writeKubernetesManifests(dir: string, mappings: readonly RepositoryMapping[], options: ClusterResourcesOptions = {}): Promise<string[]> {
  const out = resolve(dir);
  await mkdir(out, { recursive: true });
  const written: string[] = [];
  for (const file of clusterResources(mappings, options)) {
    if (!KUBERNETES_RESOURCE_FILES.includes(file.name)) continue;
    const path = join(out, file.name);
    await writeFileAtomic(path, file.content);
    written.push(path);
  }
  return written;
}
