import type { ItemResult } from './run-plan.ts';
import type { PruneReport } from '../prune/prune-sync.ts';

/** `ferry sync --report FILE`: per image and totals. The shape is stable (consumed by `ferry k8s` and scripts). */
export interface SyncReport {
  version: 1;
  /** True for `--dry-run`: nothing was copied; `planned` images would be. */
  dryRun?: boolean | undefined;
  started: string;
  finished: string;
  images: Array<Omit<ItemResult, 'origin'>>;
  totals: { images: number; copied: number; skipped: number; failed: number; planned: number; bytes: number };
  /** With `--prune`: every deletion due, with its digest and outcome. */
  prune?: PruneReport | undefined;
}

export function buildReport(results: readonly ItemResult[], started: Date, finished: Date, dryRun = false): SyncReport {
  const totals = { images: results.length, copied: 0, skipped: 0, failed: 0, planned: 0, bytes: 0 };
  for (const r of results) {
    totals[r.status]++;
    totals.bytes += r.bytes;
  }
  return {
    version: 1,
    ...(dryRun ? { dryRun: true } : {}),
    started: started.toISOString(),
    finished: finished.toISOString(),
    images: results.map(({ origin: _origin, ...rest }) => rest),
    totals,
  };
}
