import type { Descriptor } from '../../oci/descriptor.ts';
import { manifestBlobs, parseManifest } from '../../oci/manifest.ts';
import { selectInstances } from '../../copy/select-instances.ts';
import { isForeignLayer } from '../../copy/blob-copy.ts';
import type { Repository } from '../../repository/repository.ts';
import { openSide, type PlanItem, type ResolveContext } from './plan.ts';
import { mapLimited } from '../../util/pool.ts';

/** What a destination would receive. */
export interface DestinationSummary {
  /** The destination storage (`docker://host`, `oci:/path`). */
  storage: string;
  imagesToCopy: number;
  imagesToSkip: number;
  blobsToTransfer: number;
  bytesToTransfer: number;
  /** Already in the destination repository, or mountable from another repository of the same storage. */
  blobsPresent: number;
  bytesPresent: number;
}

async function blobsOf(source: Repository, reference: string, item: PlanItem, signal: AbortSignal | undefined): Promise<Descriptor[]> {
  const top = await source.manifestGet(reference, { signal });
  const parsed = parseManifest(top.bytes, top.mediaType, source.display);
  if (parsed.kind === 'image') return manifestBlobs(parsed.manifest);
  const chosen = selectInstances(parsed.index, item.instances, source.display);
  const children = chosen.kind === 'single' ? [chosen.instance] : chosen.instances;
  const out: Descriptor[] = [];
  for (const child of children) {
    const raw = await source.manifestGet(child.digest, { signal });
    const p = parseManifest(raw.bytes, raw.mediaType, `${source.display}@${child.digest}`);
    if (p.kind === 'image') out.push(...manifestBlobs(p.manifest));
  }
  return out;
}

/** Parallel manifest reads and HEADs while summarising. */
const SUMMARY_CONCURRENCY = 16;

/**
 * Counts, per destination storage, the images and blob bytes a run would
 * move, asking destinations with HEAD only. Blobs planned for one repository
 * count once per storage: the run uploads them once and mounts them elsewhere,
 * so only a blob's first repository is asked. Manifests are read once per
 * source image, however many tags or destinations name it.
 */
export async function summarizePlan(items: PlanItem[], ctx: ResolveContext): Promise<DestinationSummary[]> {
  const byStorage = new Map<string, DestinationSummary>();
  const blobLists = new Map<string, Promise<Descriptor[]>>();
  const opened = await mapLimited(items, SUMMARY_CONCURRENCY, async (item) => {
    const target = item.expanded.targets[item.targetIndex]!;
    const dst = item.destinationTarget ?? (await openSide(ctx, target.ref, 'destination', target.access));
    let blobs: Descriptor[] = [];
    if (item.status === 'copy') {
      const src = item.sourceTarget ?? (await openSide(ctx, item.expanded.source, 'source', item.expanded.sourceAccess));
      const key = `${src.repository.storageId}|${src.repository.repository}|${item.digest ?? src.reference}|${JSON.stringify(item.instances)}`;
      let list = blobLists.get(key);
      if (!list) blobLists.set(key, (list = blobsOf(src.repository, src.reference ?? 'latest', item, ctx.signal)));
      blobs = (await list).filter((b) => !isForeignLayer(b));
    }
    return { item, dst: dst.repository, blobs };
  });
  // In plan order: the first repository of a storage to want a blob is the one asked; the rest mount it.
  const firstAsk = new Map<string, { repo: Repository; digest: Descriptor['digest'] }>();
  for (const { dst, blobs } of opened) {
    for (const b of blobs) {
      const key = `${dst.storageId}|${b.digest}`;
      if (!firstAsk.has(key)) firstAsk.set(key, { repo: dst, digest: b.digest });
    }
  }
  const presence = new Map<string, boolean>();
  await mapLimited([...firstAsk], SUMMARY_CONCURRENCY, async ([key, { repo, digest }]) => {
    presence.set(key, (await repo.blobHead(digest, { signal: ctx.signal }).catch(() => undefined)) !== undefined);
  });
  const counted = new Set<string>();
  for (const { item, dst, blobs } of opened) {
    let s = byStorage.get(dst.storageId);
    if (!s) {
      s = { storage: dst.storageId, imagesToCopy: 0, imagesToSkip: 0, blobsToTransfer: 0, bytesToTransfer: 0, blobsPresent: 0, bytesPresent: 0 };
      byStorage.set(dst.storageId, s);
    }
    if (item.status === 'skip') s.imagesToSkip++;
    if (item.status !== 'copy') continue;
    s.imagesToCopy++;
    for (const blob of blobs) {
      const pair = `${dst.storageId}|${dst.repository}|${blob.digest}`;
      if (counted.has(pair)) continue;
      counted.add(pair);
      const storageKey = `${dst.storageId}|${blob.digest}`;
      const first = firstAsk.get(storageKey)!.repo.repository === dst.repository && !counted.has(`*${storageKey}`);
      counted.add(`*${storageKey}`);
      if (first && !presence.get(storageKey)) {
        s.blobsToTransfer++;
        s.bytesToTransfer += blob.size;
      } else {
        s.blobsPresent++;
        s.bytesPresent += blob.size;
      }
    }
  }
  return [...byStorage.values()];
}
