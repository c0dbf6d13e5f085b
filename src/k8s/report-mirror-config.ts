import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError, throwIfAborted } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { repositoryPath } from '../ref/reference.ts';
import { clusterResources, type ClusterResourceFile, type ClusterResourcesOptions, type RepositoryMapping } from '../mirror/cluster-resources.ts';
import { readSyncReport, reportReference, type ReportImage } from './sync-report.ts';

/**
 * Source repository → mirror repository for every image a sync or mirror
 * report says is at its destination (copied, or skipped because present).
 * Failed images and destinations outside a registry are left out.
 */
export function mappingsFromReport(images: readonly ReportImage[]): RepositoryMapping[] {
  const out: RepositoryMapping[] = [];
  const seen = new Set<string>();
  for (const image of images) {
    if (image.status === 'failed' || image.status === 'planned') continue;
    const source = reportReference(image.source);
    const destination = reportReference(image.destination);
    if (source === undefined || destination === undefined) continue;
    const mapping = { sourceRepository: repositoryPath(source), mirrorRepository: repositoryPath(destination) };
    const key = `${mapping.sourceRepository} ${mapping.mirrorRepository}`;
    if (!seen.has(key)) out.push(mapping);
    seen.add(key);
  }
  return out;
}

export interface MirrorConfigOptions extends ClusterResourcesOptions {
  /** Directory the files are written to (created if needed). */
  outDir: string;
  signal?: AbortSignal | undefined;
}

/**
 * `ferry k8s mirror-config`: reads a report and writes the ICSP (clusters
 * before 4.13), IDMS, ITMS and registries.conf files into `outDir`. Returns
 * what was written.
 *
 * @throws FerryError `INVALID_CONFIG` for a bad report or one with no registry images, `IO` on write failure.
 */
export async function writeMirrorConfig(reportFile: string, options: MirrorConfigOptions): Promise<{ files: ClusterResourceFile[]; paths: string[]; mappings: RepositoryMapping[] }> {
  const images = await readSyncReport(reportFile, options);
  const mappings = mappingsFromReport(images);
  if (mappings.length === 0) {
    throw new FerryError('INVALID_CONFIG', `report ${reportFile} has no image copied to a registry`, {
      hint: 'mirror-config needs a report of a sync or mirror into a registry (docker:// destination)',
    });
  }
  const files = clusterResources(mappings, options);
  const paths: string[] = [];
  try {
    await mkdir(options.outDir, { recursive: true });
  } catch (cause) {
    throw new FerryError('IO', `cannot create ${options.outDir}`, { cause });
  }
  for (const file of files) {
    throwIfAborted(options.signal);
    const path = join(options.outDir, file.name);
    await writeFileAtomic(path, file.content, { signal: options.signal });
    paths.push(path);
  }
  return { files, paths, mappings };
}
