import type { Descriptor } from '../../oci/descriptor.ts';
import { manifestBlobs, parseManifest } from '../../oci/manifest.ts';
import { selectInstances } from '../../copy/select-instances.ts';
import { isForeignLayer } from '../../copy/blob-copy.ts';
import type { Repository } from '../../transport/repository.ts';
import { openSide, type PlanItem, type ResolveContext } from './plan.ts';

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

/**
 * Counts, per destination storage, the images and blob bytes a run would
 * move, asking destinations with HEAD only. Blobs planned for one repository
 * count once per storage: the run uploads them once and mounts them elsewhere.
 */
export async function summarizePlan(items: PlanItem[], ctx: ResolveContext): Promise<DestinationSummary[]> {
  const byStorage = new Map<string, DestinationSummary & { seen: Set<string> }>();
  for (const item of items) {
    const target = item.expanded.targets[item.targetIndex]!;
    const dst = await openSide(ctx, target.ref, 'destination', target.access);
    const storage = dst.repository.storageId;
    let s = byStorage.get(storage);
    if (!s) {
      s = { storage, imagesToCopy: 0, imagesToSkip: 0, blobsToTransfer: 0, bytesToTransfer: 0, blobsPresent: 0, bytesPresent: 0, seen: new Set() };
      byStorage.set(storage, s);
    }
    if (item.status === 'skip') {
      s.imagesToSkip++;
      continue;
    }
    if (item.status !== 'copy') continue;
    s.imagesToCopy++;
    const src = await openSide(ctx, item.expanded.source, 'source', item.expanded.sourceAccess);
    for (const blob of await blobsOf(src.repository, src.reference ?? 'latest', item, ctx.signal)) {
      if (isForeignLayer(blob)) continue;
      const repoKey = `${dst.repository.repository}|${blob.digest}`;
      if (s.seen.has(repoKey)) continue;
      s.seen.add(repoKey);
      const elsewhere = s.seen.has(`*|${blob.digest}`);
      const present = elsewhere || (await dst.repository.blobHead(blob.digest, { signal: ctx.signal }).catch(() => undefined)) !== undefined;
      s.seen.add(`*|${blob.digest}`);
      if (present) {
        s.blobsPresent++;
        s.bytesPresent += blob.size;
      } else {
        s.blobsToTransfer++;
        s.bytesToTransfer += blob.size;
      }
    }
  }
  return [...byStorage.values()].map(({ seen: _seen, ...rest }) => rest);
}
