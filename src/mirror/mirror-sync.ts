import type { SyncSpec } from '../sync/config/sync-spec.ts';
import type { PlanItem } from '../sync/engine/plan.ts';
import type { SyncReport } from '../sync/engine/report.ts';
import { sync, type SyncOptions } from '../sync/sync.ts';
import type { RepositoryMapping } from './cluster-resources.ts';
import type { PruneResult } from '../sync/prune/prune.ts';

/** Source repository → the repository it was copied to, for each docker destination of a plan. */
export function planMappings(plan: readonly PlanItem[]): RepositoryMapping[] {
  const seen = new Map<string, RepositoryMapping>();
  for (const item of plan) {
    const image = item.expanded.image;
    const target = item.expanded.targets[item.targetIndex]?.target;
    if (image.registry === undefined || target?.transport !== 'docker') continue;
    const mapping = { sourceRepository: `${image.registry}/${image.repository}`, mirrorRepository: `${target.ref.registry}/${target.ref.repository}` };
    seen.set(`${mapping.sourceRepository} ${mapping.mirrorRepository}`, mapping);
  }
  return [...seen.values()];
}

export interface MirrorSyncResult {
  /** The images the config selects, with the signatures carried and made for each. */
  report: SyncReport;
  /** Source repository → mirror repository, for registry destinations. */
  mappings: RepositoryMapping[];
  failed: number;
  /** With `prune`: the deletions (undefined when a rule could not be listed). */
  prune?: PruneResult | undefined;
}

/**
 * Runs the sync engine for a mirror. What accompanies each image travels
 * with it through the engine's signature session: GPG signatures, cosign
 * `.sig`, `.att` and `.sbom` tags, the referrers fallback tag and the
 * source's referrers (unless `--remove-signatures`).
 */
export async function mirrorSync(spec: SyncSpec, options: SyncOptions = {}): Promise<MirrorSyncResult> {
  const main = await sync(spec, options);
  // A mirror stopped at a failure (or cancelled) goes no further: no bundle, no cluster resources.
  if (main.stoppedBy) throw main.stoppedBy;
  return { report: main.report, mappings: planMappings(main.plan), failed: main.report.totals.failed, prune: main.prune };
}
