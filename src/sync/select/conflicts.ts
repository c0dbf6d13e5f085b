import type { Origin } from '../config/sync-spec.ts';

/** One planned copy, as text, for conflict detection. */
export interface PlannedCopy {
  source: string;
  destination: string;
  origin: Origin;
}

/** Two rules writing different images to one destination. */
export interface DestinationConflict {
  destination: string;
  first: PlannedCopy;
  second: PlannedCopy;
}

/**
 * Destinations that two different sources would write (the later copy would
 * silently replace the earlier one; `oc image mirror` refuses such mappings
 * too). The same source listed twice for one destination is a duplicate,
 * not a conflict: the engine copies it once.
 */
export function findDestinationConflicts(copies: Iterable<PlannedCopy>): DestinationConflict[] {
  const byDestination = new Map<string, PlannedCopy>();
  const conflicts: DestinationConflict[] = [];
  for (const copy of copies) {
    const first = byDestination.get(copy.destination);
    if (first === undefined) byDestination.set(copy.destination, copy);
    else if (first.source !== copy.source) conflicts.push({ destination: copy.destination, first, second: copy });
  }
  return conflicts;
}
