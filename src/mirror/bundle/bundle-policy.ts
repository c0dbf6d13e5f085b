import type { Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { parseManifest, type RawManifest } from '../../oci/manifest.ts';
import type { Repository } from '../../repository/repository.ts';
import type { SignatureSession } from '../../signature/signature-session.ts';
import { entryRefName, entrySource, imageName, layoutRepository, type LayoutStore } from '../../transports/layout/index.ts';
import { companionSubjects } from '../store/store-companions.ts';

/** An image the policy refused, with the requirement that failed. */
export interface RefusedImage {
  name: string;
  digest: Digest;
  reason: string;
}

/** The store's bare-name repository as it will read once `incoming` is in index.json (names resolve to them first). */
function withIncoming(base: Repository, incoming: readonly Descriptor[]): Repository {
  const named = new Map<string, Descriptor>();
  for (const entry of incoming) {
    const name = entryRefName(entry);
    if (name !== undefined) named.set(name, entry);
  }
  return {
    ...base,
    async manifestHead(reference, options) {
      const entry = named.get(reference);
      return entry ? { mediaType: entry.mediaType, digest: entry.digest, size: entry.size } : base.manifestHead(reference, options);
    },
    async manifestGet(reference, options) {
      return base.manifestGet(named.get(reference)?.digest ?? reference, options);
    },
  };
}

/**
 * Judges the images a bundle is about to name in a store, before they are
 * named: every manifest of each (an index and each instance), with the
 * signatures the store now holds for it (GPG files, `.sig` names of the
 * bundle). An image that records its source is judged as that registry
 * image. Attachments and referrers are not judged; those about a refused
 * image are refused with it. Entries the store already names unchanged are
 * not judged again.
 */
export async function judgeIncoming(store: LayoutStore, incoming: readonly Descriptor[], session: SignatureSession, signal?: AbortSignal): Promise<RefusedImage[]> {
  const repository = withIncoming(layoutRepository(store, ''), incoming);
  const current = new Set((await store.listEntries()).map((e) => `${entryRefName(e) ?? ''} ${e.digest}`));
  const subjects = await companionSubjects(store, incoming, signal);
  const refused: RefusedImage[] = [];
  const refusedDigests = new Set<Digest>();
  for (const entry of incoming) {
    if (subjects.has(entry) || current.has(`${entryRefName(entry) ?? ''} ${entry.digest}`)) continue;
    const name = entryRefName(entry);
    const reference = name ?? entry.digest;
    const source = { repository, reference, display: `oci:${store.dir}:${reference}`, transportRef: { transport: 'oci' as const, path: store.dir, name } };
    const top = await repository.manifestGet(reference, { signal });
    const parsed = parseManifest(top.bytes, top.mediaType, source.display);
    const manifests: RawManifest[] = [top];
    if (parsed.kind === 'index') for (const child of parsed.index.manifests) manifests.push(await repository.manifestGet(child.digest, { signal }));
    for (const manifest of manifests) {
      const decision = await session.evaluate({ source, manifest, judgeAs: entrySource(entry), signal });
      if (decision.allowed) continue;
      refused.push({ name: imageName(entry), digest: entry.digest, reason: `${decision.image}@${decision.digest}: ${decision.reason ?? 'not allowed'}` });
      for (const m of manifests) refusedDigests.add(m.digest);
      break;
    }
  }
  for (const [entry, subject] of subjects) {
    if (refusedDigests.has(subject)) refused.push({ name: imageName(entry), digest: entry.digest, reason: `it belongs to ${subject}, which the policy refused` });
  }
  return refused;
}
