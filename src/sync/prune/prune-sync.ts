import { resolve } from 'node:path';
import { FerryError } from '../../errors.ts';
import { isDigest, type Digest } from '../../oci/digest.ts';
import type { SyncSpec } from '../config/sync-spec.ts';
import type { ExpandedImage } from '../engine/expand.ts';
import type { PlanItem } from '../engine/plan.ts';
import type { SyncReport } from '../engine/report.ts';
import { repositoryKey } from '../select/source-image.ts';
import { layoutDestination, registryDestination, type PruneDestination, type PruneScope } from './prune-destination.ts';
import { prune, type PruneDeletion, type PruneOptions, type PruneResult } from './prune.ts';

/** `--prune` as a sync takes it. */
export interface PruneSettings {
  /** See {@link PruneOptions.maxDelete}. */
  maxDelete?: number | undefined;
  /** See {@link PruneOptions.stateFile}. */
  stateFile?: string | undefined;
}

/** The deletions in a sync report (`--report`). */
export interface PruneReport {
  deleted: number;
  planned: number;
  failed: number;
  kept: number;
  notRun: number;
  deletions: PruneDeletion[];
}

/** One sync run as pruning needs it. */
export interface PrunedRun {
  plan: readonly PlanItem[];
  report: SyncReport;
  /** Every rule was listed: a rule whose listing failed selects nothing, which must not read as "upstream removed it all". */
  complete: boolean;
}

/** The source repository a plan item's rule reads: the owner of what it writes. */
export function ownerOf(expanded: ExpandedImage): string {
  const source = expanded.source;
  if (source.transport === 'docker') return `${source.ref.registry}/${source.ref.repository}`;
  if (source.transport === 'oci') return `oci:${resolve(source.path)}:${expanded.image.repository}`;
  return `${source.transport}:${repositoryKey(expanded.image)}`;
}

/** Refuses `--prune` for destinations that cannot delete a single image (`dir:`). */
export function checkPrunable(spec: SyncSpec): void {
  for (const rule of spec.sources) {
    for (const d of rule.destinations) {
      if (d.location.transport !== 'docker' && d.location.transport !== 'oci') {
        throw new FerryError('USAGE', `--prune cannot prune a ${d.location.transport}: destination (${d.location.root}): it holds one image per directory`, {
          hint: 'prune registries (docker) and OCI layouts (oci); leave --prune off for this input',
        });
      }
    }
  }
}

function destinationOf(item: PlanItem): { destination: PruneDestination; name: string } | undefined {
  const target = item.expanded.targets[item.targetIndex];
  if (!target) return undefined;
  const t = target.target;
  if (t.transport === 'docker') return t.ref.tag === undefined ? undefined : { destination: registryDestination(t.ref.registry, t.ref.repository, target.access), name: t.ref.tag };
  if (t.transport === 'oci') return t.name === undefined ? undefined : { destination: layoutDestination(t.path), name: t.name };
  return undefined;
}

/**
 * What each owner selected in each destination over these runs, and what
 * they left there (copied, or already right): the plan names the
 * destinations, the reports the outcomes. Images named by digest have no
 * name to prune.
 */
export function scopesOfRuns(runs: readonly PrunedRun[]): PruneScope[] {
  const scopes = new Map<string, { destination: PruneDestination; owner: string; selected: Set<string>; written: Map<string, Digest>; partial: boolean }>();
  for (const run of runs) {
    const outcome = new Map(run.report.images.map((i) => [`${i.source} ${i.destination}`, i]));
    for (const item of run.plan) {
      const where = destinationOf(item);
      if (!where) continue;
      const owner = ownerOf(item.expanded);
      const key = `${where.destination.key} ${owner}`;
      let scope = scopes.get(key);
      if (!scope) scopes.set(key, (scope = { destination: where.destination, owner, selected: new Set(), written: new Map(), partial: false }));
      scope.selected.add(where.name);
      if (item.digest === undefined) scope.partial = true;
      const result = outcome.get(`${item.source} ${item.destination}`);
      if ((result?.status === 'copied' || result?.status === 'skipped') && result.digest !== undefined && isDigest(result.digest)) scope.written.set(where.name, result.digest);
    }
  }
  return [...scopes.values()];
}

/** Counts for the report. */
export function pruneReport(result: PruneResult): PruneReport {
  const count = (status: PruneDeletion['status']) => result.deletions.filter((d) => d.status === status).length;
  return { deleted: count('deleted'), planned: count('planned'), failed: count('failed'), kept: count('kept'), notRun: count('not-run'), deletions: result.deletions };
}

/**
 * Prunes after sync runs:
 * only when every run listed every source, since a listing that failed or
 * came back empty in an outage selects nothing. Returns undefined, with a
 * warning, when it did not prune.
 */
export async function pruneAfterSync(runs: readonly PrunedRun[], options: PruneOptions): Promise<PruneResult | undefined> {
  if (runs.some((r) => !r.complete)) {
    options.onEvent?.({ type: 'warning', message: 'not pruning: a rule could not be listed, so what upstream removed is not known' });
    return undefined;
  }
  return prune(scopesOfRuns(runs), options);
}
