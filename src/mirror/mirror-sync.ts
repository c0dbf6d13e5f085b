import { digestHex } from '../oci/digest.ts';
import type { SourceRule, SyncSpec } from '../sync/config/sync-spec.ts';
import type { PlanItem } from '../sync/engine/plan.ts';
import type { SyncReport } from '../sync/engine/report.ts';
import { sync, type SyncOptions, type SyncResult } from '../sync/sync.ts';
import type { RepositoryMapping } from './cluster-resources.ts';
import { referrerSpec } from './mirror-referrers.ts';

/** Tags cosign and the OCI referrers fallback use for content about image `sha256:<hex>`. */
export function signatureTags(hex: string): string[] {
  return [`sha256-${hex}`, `sha256-${hex}.sig`, `sha256-${hex}.att`, `sha256-${hex}.sbom`];
}

/**
 * A second spec that fetches what accompanies the images a sync copied:
 * cosign signatures, attestations and SBOMs (`sha256-<hex>.sig|.att|.sbom`)
 * and OCI referrers indexes stored under the referrers tag schema
 * (`sha256-<hex>`), for each source repository — tags the rules did not
 * select themselves. Each repository is listed once; only tags that exist
 * are copied. Undefined when there is nothing to look for.
 */
export function signatureSpec(spec: SyncSpec, result: SyncResult): SyncSpec | undefined {
  const failed = new Set(result.report.images.filter((i) => i.status === 'failed').map((i) => `${i.source} ${i.destination}`));
  const groups = new Map<SourceRule, Map<string, { registry: string; repository: string; planned: Set<string>; wanted: Set<string> }>>();
  for (const item of result.plan) {
    const image = item.expanded.image;
    if (image.registry === undefined) continue;
    const byRepo = groups.get(item.expanded.rule) ?? new Map();
    groups.set(item.expanded.rule, byRepo);
    const key = `${image.registry}/${image.repository}`;
    const group = byRepo.get(key) ?? { registry: image.registry, repository: image.repository, planned: new Set<string>(), wanted: new Set<string>() };
    byRepo.set(key, group);
    if (image.tag !== undefined) group.planned.add(image.tag);
    if (item.digest === undefined || failed.has(`${item.source} ${item.destination}`)) continue;
    for (const tag of signatureTags(digestHex(item.digest))) group.wanted.add(tag);
  }
  const sources: SourceRule[] = [];
  for (const [rule, byRepo] of groups) {
    for (const group of byRepo.values()) {
      const include = [...group.wanted].filter((t) => !group.planned.has(t)).sort();
      if (include.length === 0) continue;
      sources.push({
        ...rule,
        source: { kind: 'repository', registry: group.registry, repository: group.repository },
        tags: { kind: 'filter', include, exclude: [] },
        platforms: { kind: 'all' },
      });
    }
  }
  if (sources.length === 0) return undefined;
  return { sources, registries: spec.registries, defaults: spec.defaults, warnings: [] };
}

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
  /** The images the config selects. */
  report: SyncReport;
  /** The signatures and referrers found for them (absent when none were looked for). */
  signatures?: SyncReport | undefined;
  /** Source repository → mirror repository, for registry destinations. */
  mappings: RepositoryMapping[];
  failed: number;
}

/** Both follow-up specs as one run (either may be absent). */
function combine(a: SyncSpec | undefined, b: SyncSpec | undefined): SyncSpec | undefined {
  if (!a || !b) return a ?? b;
  return { sources: [...a.sources, ...b.sources], registries: a.registries, defaults: a.defaults, warnings: [] };
}

/**
 * Runs the sync engine for a mirror: the selected images, then what
 * accompanies them (see {@link signatureSpec} and `referrerSpec`). Signature failures do not
 * stop the run; they are counted in `failed` with the image failures.
 */
export async function mirrorSync(spec: SyncSpec, options: SyncOptions = {}): Promise<MirrorSyncResult> {
  const main = await sync(spec, options);
  const extra = combine(signatureSpec(spec, main), await referrerSpec(spec, main, options));
  let signatures: SyncResult | undefined;
  if (extra) signatures = await sync(extra, { ...options, keepGoing: true, onPlan: undefined });
  const mappings = planMappings([...main.plan, ...(signatures?.plan ?? [])]);
  const failed = main.report.totals.failed + (signatures?.report.totals.failed ?? 0);
  return { report: main.report, signatures: signatures?.report, mappings, failed };
}
