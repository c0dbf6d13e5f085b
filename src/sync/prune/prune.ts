import { join } from 'node:path';
import { FerryError, isFerryError } from '../../errors.ts';
import type { CopyEventListener } from '../../copy/events.ts';
import type { Digest } from '../../oci/digest.ts';
import { OpenSession } from '../../repository/open-session.ts';
import type { Repository } from '../../repository/repository.ts';
import { openImage } from '../../transports/open-image.ts';
import { mapLimited } from '../../util/pool.ts';
import { describeName, type PruneDestination, type PruneScope } from './prune-destination.ts';
import { STATE_TAG, sameNames, type OwnedNames } from './prune-state.ts';
import { artifactStateStore, fileStateStore, type StateStore } from './state-stores.ts';

/** `--max-delete` by default: this share of the names ferry owns in the destinations visited … */
export const DEFAULT_MAX_DELETE_FRACTION = 0.1;
/** … but never fewer than this, so small mirrors can follow an upstream that drops a handful of tags. */
export const DEFAULT_MAX_DELETE_MIN = 20;
/** A layout's own state file, beside its index.json (other OCI tools ignore unknown files there). */
export const LAYOUT_STATE_FILE = 'ferry-state.json';
/** Destinations visited at once; HEADs within one run at this width too. */
const PRUNE_CONCURRENCY = 8;

export interface PruneOptions {
  /** Say what would be deleted; delete and record nothing. */
  dryRun?: boolean | undefined;
  /** Stop before deleting anything when more than this many deletions are due (default {@link defaultMaxDelete}). */
  maxDelete?: number | undefined;
  /** Keep every destination's state in this file instead of in the destinations. */
  stateFile?: string | undefined;
  /** Shares connections with the run that wrote the destinations; default: a session of its own. */
  session?: OpenSession | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
  /** Each deletion's outcome, as it is known. */
  onDeletion?: ((deletion: PruneDeletion) => void) | undefined;
}

/**
 * One name due for deletion and what became of it: `deleted`; `planned` (a
 * dry run); `failed` (the destination refused or erred, `reason` says how);
 * `kept` (left alone on purpose: it changed since ferry wrote it, or deleting
 * it would delete a tag that stays); `not-run` (the `--max-delete` limit
 * stopped the deletions).
 */
export interface PruneDeletion {
  /** Full reference (`docker://host/repo:tag`). */
  destination: string;
  digest: Digest;
  status: 'deleted' | 'planned' | 'failed' | 'kept' | 'not-run';
  reason?: string | undefined;
}

export interface PruneResult {
  deletions: PruneDeletion[];
  /** Why nothing was deleted although deletions were due: the `--max-delete` limit. */
  stoppedBy?: FerryError | undefined;
  /** The limit that applied. */
  maxDelete: number;
}

/** The default limit: {@link DEFAULT_MAX_DELETE_FRACTION} of `owned` names, at least {@link DEFAULT_MAX_DELETE_MIN}. */
export function defaultMaxDelete(owned: number): number {
  return Math.max(DEFAULT_MAX_DELETE_MIN, Math.ceil(owned * DEFAULT_MAX_DELETE_FRACTION));
}

interface Candidate {
  name: string;
  digest: Digest;
  owner: string;
}

interface Visit {
  destination: PruneDestination;
  repo: Repository;
  store: StateStore;
  storeKey: string;
  before: OwnedNames;
  after: OwnedNames;
  due: Candidate[];
}

/** Scopes of the same owner in the same destination (two rules, an image and its signatures) as one. */
function mergeScopes(scopes: readonly PruneScope[]): Map<string, { destination: PruneDestination; owners: Map<string, PruneScope> }> {
  const byDestination = new Map<string, { destination: PruneDestination; owners: Map<string, PruneScope> }>();
  for (const scope of scopes) {
    const entry = byDestination.get(scope.destination.key) ?? { destination: scope.destination, owners: new Map<string, PruneScope>() };
    byDestination.set(scope.destination.key, entry);
    const known = entry.owners.get(scope.owner);
    entry.owners.set(scope.owner, known
      ? { ...known, selected: new Set([...known.selected, ...scope.selected]), written: new Map([...known.written, ...scope.written]), partial: known.partial === true || scope.partial === true }
      : scope);
  }
  return byDestination;
}

/**
 * Deletes from each destination the names ferry recorded for an owner in an
 * earlier pruning run that the owner's rules no longer select, and records
 * what this run wrote. Never touches a name it has no record of (pushed by
 * hand, written for another source), nor one that holds another digest than
 * ferry left there. In a registry, where deleting a tag deletes its manifest
 * with every tag naming it, a name sharing its manifest with a tag that stays
 * is kept. Nothing is deleted when more than `maxDelete` deletions are due.
 *
 * Callers prune only after a run that listed every source completely: an
 * empty or failed listing selects nothing and must not reach here (see
 * {@link pruneAfterSync}).
 */
export async function prune(scopes: readonly PruneScope[], options: PruneOptions = {}): Promise<PruneResult> {
  const { signal } = options;
  const session = options.session ?? new OpenSession();
  const stores = new Map<string, StateStore>();
  const shared = options.stateFile !== undefined ? fileStateStore(options.stateFile) : undefined;
  const artifacts = artifactStateStore();
  const stateOf = (d: PruneDestination): { store: StateStore; storeKey: string } => {
    if (shared) return { store: shared, storeKey: d.key };
    if (d.kind === 'registry') return { store: artifacts, storeKey: d.key };
    const path = join(d.key.slice('oci:'.length), LAYOUT_STATE_FILE);
    let store = stores.get(path);
    if (!store) stores.set(path, (store = fileStateStore(path)));
    return { store, storeKey: '.' };
  };
  const deletions: PruneDeletion[] = [];
  const report = (d: PruneDeletion): void => {
    deletions.push(d);
    options.onDeletion?.(d);
  };
  const warn = (message: string): void => options.onEvent?.({ type: 'warning', message });
  try {
    const visited = await mapLimited([...mergeScopes(scopes).values()], PRUNE_CONCURRENCY, async ({ destination, owners }): Promise<Visit | undefined> => {
      const target = await openImage(destination.ref, { role: 'destination', session, access: destination.access, tlsFlag: '--dest-tls-verify', signal });
      const repo = target.repository;
      const { store, storeKey } = stateOf(destination);
      let before: OwnedNames;
      try {
        before = await store.read(storeKey, repo, { signal });
      } catch (error) {
        if (!isFerryError(error) || error.code === 'ABORTED') throw error;
        warn(`not pruning ${destination.key}: its prune state cannot be read: ${error.message}`);
        return undefined;
      }
      const after = new Map(before);
      const due: Candidate[] = [];
      const suspects: Candidate[] = [];
      const selectedHere = new Set([...owners.values()].flatMap((s) => [...s.selected]));
      for (const [name, record] of before) {
        // Due: recorded for an owner this run ran again, and selected by no rule now (another owner may have taken it over).
        if (owners.has(record.owner) && owners.get(record.owner)!.partial !== true && !selectedHere.has(name)) suspects.push({ name, ...record });
      }
      // Only a name that still holds what ferry left there is ferry's to delete.
      await mapLimited(suspects, PRUNE_CONCURRENCY, async (c) => {
        const now = await repo.manifestHead(c.name, { signal }).catch((error: unknown) => {
          if (isFerryError(error, 'NOT_FOUND')) return undefined;
          throw error;
        });
        if (now === undefined) after.delete(c.name);
        else if (now.digest !== c.digest) {
          after.delete(c.name);
          report({ destination: describeName(destination, c.name), digest: c.digest, status: 'kept', reason: `it holds ${now.digest} now, not what ferry wrote: no longer ferry's` });
        } else due.push(c);
      });
      const keptBySharing = destination.kind === 'registry' && due.length > 0 ? await sharedManifests(repo, due, owners, signal) : new Map<string, string>();
      for (const [name, other] of keptBySharing) {
        const c = due.find((d) => d.name === name)!;
        report({ destination: describeName(destination, name), digest: c.digest, status: 'kept', reason: `tag ${other} names the same manifest and stays, and a registry deletes manifests, not tags` });
      }
      // Claims last: a name this run wrote is ferry's, for the owner that wrote it.
      for (const scope of owners.values()) for (const [name, digest] of scope.written) after.set(name, { digest, owner: scope.owner });
      due.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      return { destination, repo, store, storeKey, before, after, due: due.filter((c) => !keptBySharing.has(c.name)) };
    });
    const visits = visited.filter((v): v is Visit => v !== undefined);
    const owned = visits.reduce((n, v) => n + v.before.size, 0);
    const maxDelete = options.maxDelete ?? defaultMaxDelete(owned);
    const due = visits.reduce((n, v) => n + v.due.length, 0);
    let stoppedBy: FerryError | undefined;
    if (due > maxDelete) {
      stoppedBy = new FerryError('LIMIT', `${due} tags are due for deletion, more than --max-delete ${maxDelete}: nothing was deleted`, {
        hint: 'check that the sources list what they should (an outage, a changed filter); if the deletions are right, run again with a higher --max-delete',
      });
    }
    for (const v of visits) {
      for (const c of v.due) {
        const destination = describeName(v.destination, c.name);
        if (options.dryRun) report({ destination, digest: c.digest, status: 'planned' });
        else if (stoppedBy) report({ destination, digest: c.digest, status: 'not-run', reason: stoppedBy.message });
      }
    }
    if (options.dryRun) {
      if (stoppedBy) warn(`a run would stop here: ${stoppedBy.message.replace(/: nothing was deleted$/, '')}`);
      return { deletions, maxDelete, stoppedBy };
    }
    for (const v of visits) {
      if (!stoppedBy) await deleteDue(v, report, signal);
      if (!sameNames(v.before, v.after)) await v.store.write(v.storeKey, v.repo, v.after, { signal });
    }
    for (const store of new Set(visits.map((v) => v.store))) await store.flush({ signal });
    return { deletions, maxDelete, stoppedBy };
  } finally {
    if (!options.session) await session.close();
  }
}

/**
 * Due tags whose manifest another tag of the repository names, and that tag:
 * deleting the manifest would delete it too. The tags this run wrote are
 * known; the others are asked (HEAD).
 */
async function sharedManifests(repo: Repository, due: readonly Candidate[], owners: ReadonlyMap<string, PruneScope>, signal: AbortSignal | undefined): Promise<Map<string, string>> {
  const dueNames = new Set(due.map((c) => c.name));
  const dueDigests = new Set(due.map((c) => c.digest));
  const known = new Map<string, Digest>();
  for (const scope of owners.values()) for (const [name, digest] of scope.written) known.set(name, digest);
  const others = (await repo.tagList({ signal })).filter((t) => t !== STATE_TAG && !dueNames.has(t));
  const holder = new Map<Digest, string>();
  await mapLimited(others, PRUNE_CONCURRENCY, async (tag) => {
    const digest = known.get(tag) ?? (await repo.manifestHead(tag, { signal }).catch(() => undefined))?.digest;
    if (digest !== undefined && dueDigests.has(digest) && !holder.has(digest)) holder.set(digest, tag);
  });
  const kept = new Map<string, string>();
  for (const c of due) {
    const other = holder.get(c.digest);
    if (other !== undefined) kept.set(c.name, other);
  }
  return kept;
}

/** Deletes a visit's due names: a registry by digest (once per manifest), a layout by name. Refusals are reported per name and keep their record. */
async function deleteDue(v: Visit, report: (d: PruneDeletion) => void, signal: AbortSignal | undefined): Promise<void> {
  const repo = v.repo;
  if (!repo.manifestDelete) throw new FerryError('UNSUPPORTED', `${v.destination.key}: cannot delete images`);
  const groups = new Map<string, Candidate[]>();
  for (const c of v.due) {
    const key = v.destination.kind === 'registry' ? c.digest : c.name;
    groups.set(key, [...(groups.get(key) ?? []), c]);
  }
  for (const [reference, group] of groups) {
    let failure: string | undefined;
    try {
      await repo.manifestDelete(reference, { signal });
    } catch (error) {
      if (!isFerryError(error) || error.code === 'ABORTED') throw error;
      if (error.code !== 'NOT_FOUND') failure = refusal(error);
    }
    for (const c of group) {
      const destination = describeName(v.destination, c.name);
      if (failure !== undefined) {
        report({ destination, digest: c.digest, status: 'failed', reason: failure });
        continue;
      }
      v.after.delete(c.name);
      report({ destination, digest: c.digest, status: 'deleted' });
    }
  }
}

/** Why a deletion failed, in the words a registry operator acts on. */
function refusal(error: FerryError): string {
  if (error.code === 'UNSUPPORTED') {
    return `the registry refuses to delete (${error.message}); allow deletion there (distribution: storage.delete.enabled: true), or leave --prune off for it`;
  }
  if (error.code === 'DENIED' || error.code === 'UNAUTHORIZED') return `not allowed to delete (${error.message}); the credentials need delete permission`;
  return error.message;
}
