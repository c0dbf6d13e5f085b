import type { FlattenLevel, RegistryOptions, SyncSpec } from '../sync/config/sync-spec.ts';
import type { SyncOptions } from '../sync/sync.ts';
import type { ClusterResourcesOptions } from './cluster-resources.ts';
import { withDestination } from './mirror-input.ts';
import { writeClusterResources, writeKubernetesManifests } from './mirror-resources.ts';
import { mirrorSync, type MirrorSyncResult } from './mirror-sync.ts';

export interface MirrorToRegistryOptions extends SyncOptions {
  /** Target registry host and namespace (`--to docker://HOST/PREFIX`). */
  registry: string;
  prefix: string;
  flatten?: FlattenLevel | undefined;
  /** Settings for writing to the mirror (credentials, TLS). */
  destination?: RegistryOptions | undefined;
  /** Where the IDMS, ITMS and registries.conf go. */
  resourcesDir: string;
  /** Also write the Kubernetes manifests here (`--manifests-to-dir`). */
  manifestsDir?: string | undefined;
  resources?: ClusterResourcesOptions | undefined;
}

export interface MirrorToRegistryResult {
  sync: MirrorSyncResult;
  resources: string[];
  manifests: string[];
}

/**
 * Mirror to mirror: syncs every image the spec selects, with its
 * signatures, straight to `REGISTRY/PREFIX/<source repository path>`, then
 * writes the cluster resources that send pulls of the sources to the mirror.
 */
export async function mirrorToRegistry(spec: SyncSpec, options: MirrorToRegistryOptions): Promise<MirrorToRegistryResult> {
  const { registry, prefix, flatten, destination, resourcesDir, manifestsDir, resources: resourceOptions, ...syncOptions } = options;
  const target = { kind: 'registry' as const, registry, prefix, flatten, options: destination };
  const result = await mirrorSync(withDestination(spec, target), syncOptions);
  const resources = await writeClusterResources(resourcesDir, result.mappings, resourceOptions);
  const manifests = manifestsDir !== undefined ? await writeKubernetesManifests(manifestsDir, result.mappings, resourceOptions) : [];
  return { sync: result, resources, manifests };
}
