import { FerryError, isFerryError } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { parseManifest } from '../../oci/manifest.ts';
import { isIndexMediaType } from '../../oci/media-types.ts';
import { subsetIndex } from '../../copy/copy-image.ts';
import { selectInstances, type InstanceSelection } from '../../copy/select-instances.ts';
import type { ImageTarget } from '../../repository/repository.ts';
import { openImage } from '../../transports/open-image.ts';
import type { OpenSession } from '../../repository/open-session.ts';
import { formatTransportRef } from '../../ref/transport-ref.ts';
import type { AccessOptions } from '../../repository/access.ts';
import type { PlatformFilter } from '../config/sync-spec.ts';
import { formatOrigin } from '../config/sync-spec.ts';
import { regexOf } from '../select/go-regex.ts';
import { repositoryKey } from '../select/source-image.ts';
import { onSide } from '../../copy/access-failure.ts';
import type { ExpandedImage } from './expand.ts';

/** One copy of the plan: a source image to one destination. */
export interface PlanItem {
  source: string;
  destination: string;
  /** Where the rule was written. */
  origin: string;
  /** Sharding key: the source repository. */
  repositoryKey: string;
  expanded: ExpandedImage;
  targetIndex: number;
  instances: InstanceSelection;
  /** Digest the destination will hold once copied; undefined when the source could not be resolved. */
  digest?: Digest | undefined;
  /** `skip`: the destination already has that digest (found with HEAD). */
  status: 'copy' | 'skip' | 'failed';
  reason?: string | undefined;
  /** Why the item failed to resolve. */
  error?: FerryError | undefined;
  /** The source and destination as planning opened them; the run copies between these, opening nothing again. */
  sourceTarget?: ImageTarget | undefined;
  destinationTarget?: ImageTarget | undefined;
}

export function instancesFor(filter: PlatformFilter): InstanceSelection {
  if (filter.kind === 'list') return { mode: 'platforms', platforms: filter.platforms };
  if (filter.kind === 'matching') return { mode: 'matching', pattern: regexOf(filter.regex), keepList: filter.keepList };
  if (filter.kind === 'os-arch') return { mode: 'os-arch', os: filter.os, architectures: filter.architectures };
  return { mode: filter.kind };
}

export interface ResolveContext {
  /** Shares connections and opened stores across the run, and closes every target opened in it. */
  session: OpenSession;
  signal?: AbortSignal | undefined;
}

export async function openSide(ctx: ResolveContext, ref: ExpandedImage['source'], role: 'source' | 'destination', access: AccessOptions | undefined): Promise<ImageTarget> {
  return openImage(ref, { session: ctx.session, role, access, tlsFlag: role === 'source' ? '--src-tls-verify' : '--dest-tls-verify', signal: ctx.signal });
}

/**
 * The digest a destination will name once the image is copied: the source's
 * own digest when the whole manifest travels (HEAD only, no GET — registries
 * such as Docker Hub count GETs), otherwise the chosen instance or the subset
 * index, which needs the index itself.
 */
async function expectedDigest(ctx: ResolveContext, source: ImageTarget, instances: InstanceSelection): Promise<Digest> {
  const reference = source.reference ?? 'latest';
  const head = await source.repository.manifestHead(reference, { signal: ctx.signal });
  if (!head) throw new FerryError('NOT_FOUND', `${source.display}: manifest unknown`);
  if (instances.mode === 'all' || (head.mediaType !== '' && !isIndexMediaType(head.mediaType))) return head.digest;
  const raw = await source.repository.manifestGet(head.digest, { signal: ctx.signal });
  const parsed = parseManifest(raw.bytes, raw.mediaType, source.display);
  if (parsed.kind !== 'index') return raw.digest;
  const chosen = selectInstances(parsed.index, instances, source.display);
  if (chosen.kind === 'single') return chosen.instance.digest;
  if (chosen.kind === 'whole') return raw.digest;
  return subsetIndex(parsed.index, raw.mediaType, chosen.instances).digest;
}

type Settled<T> = { value: T; error?: undefined } | { value?: undefined; error: FerryError };

/** A promise's outcome as data; errors that are not FerryErrors are bugs and still reject. */
async function settled<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { value: await promise };
  } catch (error) {
    if (!isFerryError(error)) throw error;
    return { error };
  }
}

/**
 * Resolves one expanded image against its source and every destination,
 * opening each once, and marks targets that already hold the expected digest
 * as `skip`. Errors are recorded on the items (the run decides whether to
 * keep going).
 */
export async function resolveImage(ctx: ResolveContext, expanded: ExpandedImage): Promise<PlanItem[]> {
  const instances = instancesFor(expanded.rule.platforms);
  const base = {
    origin: formatOrigin(expanded.rule.origin),
    repositoryKey: repositoryKey(expanded.image),
    expanded,
    instances,
  };
  // The source digest and what each destination holds are independent questions: ask them at once.
  const resolvingSource = settled(
    (async () => {
      const source = await openSide(ctx, expanded.source, 'source', expanded.sourceAccess);
      return { source, digest: await expectedDigest(ctx, source, instances) };
    })(),
  );
  const destinations = expanded.targets.map(async (t) => {
    const opened = await settled(openSide(ctx, t.ref, 'destination', t.access));
    if (opened.error) return { error: opened.error };
    const to = opened.value;
    const held = await settled(to.reference !== undefined ? to.repository.manifestHead(to.reference, { signal: ctx.signal }) : Promise.resolve(undefined));
    return { to, held: held.value, error: held.error };
  });
  const resolved = await resolvingSource;
  const display = resolved.value?.source.display ?? formatTransportRef(expanded.source);
  const items: PlanItem[] = [];
  for (const [targetIndex, t] of expanded.targets.entries()) {
    const item: PlanItem = { ...base, source: display, destination: t.display, targetIndex, status: 'copy' };
    const dst = await destinations[targetIndex]!;
    if (resolved.error) {
      const error = onSide(resolved.error, 'source', display);
      items.push({ ...item, status: 'failed', reason: error.message, error });
      continue;
    }
    item.digest = resolved.value.digest;
    item.sourceTarget = resolved.value.source;
    item.destinationTarget = dst.to;
    // A destination we cannot ask yet (e.g. a repository not created) is simply copied.
    if (dst.error !== undefined && dst.error.code !== 'NOT_FOUND') {
      item.status = 'failed';
      item.error = onSide(dst.error, 'destination', t.display);
      item.reason = item.error.message;
    } else if (dst.held?.digest === resolved.value.digest) {
      item.status = 'skip';
    }
    items.push(item);
  }
  return items;
}
