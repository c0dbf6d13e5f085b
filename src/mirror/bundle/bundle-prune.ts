import { FerryError } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { layoutDestination } from '../../sync/prune/prune-destination.ts';
import type { PruneSettings } from '../../sync/prune/prune-sync.ts';
import { prune, type PruneOptions, type PruneResult } from '../../sync/prune/prune.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import type { BundleManifest } from './bundle-format.ts';

export interface PruneImportedOptions extends PruneSettings, Pick<PruneOptions, 'dryRun' | 'signal' | 'onEvent' | 'onDeletion'> {}

/**
 * Makes a store exact to a bundle's connected side (`bundle import --prune`):
 * a bundle lists the complete image list of the store it was made from, so
 * the names an earlier bundle of the same origin brought that this one no
 * longer lists are removed from index.json (`ferry gc` reclaims the blobs).
 * Names written otherwise (`sync --dest oci`, by hand, bundles of another
 * origin) are never touched. Call after the import; with `dryRun`, instead
 * of it. What was imported is recorded as the origin's.
 *
 * @throws FerryError `USAGE` for a bundle that names no origin (made by an older ferry).
 */
export async function pruneImported(manifest: BundleManifest, store: LayoutStore, options: PruneImportedOptions = {}): Promise<PruneResult> {
  if (manifest.origin === undefined) {
    throw new FerryError('USAGE', `bundle ${manifest.id} does not name the store it lists (it was made by an older ferry): --prune cannot tell what it removed`, {
      hint: 'make the bundle again with this ferry (a full one, or --since the last), then import it with --prune',
    });
  }
  const selected = new Set<string>();
  const written = new Map<string, Digest>();
  for (const image of manifest.images) {
    if (image.name === undefined) continue;
    selected.add(image.name);
    if (!options.dryRun) written.set(image.name, image.digest);
  }
  return prune([{ destination: layoutDestination(store.dir), owner: `bundle:${manifest.origin}`, selected, written }], options);
}
