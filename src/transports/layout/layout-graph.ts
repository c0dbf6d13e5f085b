import { FerryError, throwIfAborted } from '../../errors.ts';
import { ANNOTATION_SOURCE, type Descriptor } from '../../oci/descriptor.ts';
import type { Digest } from '../../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../../oci/manifest.ts';
import { isImageMediaType, isIndexMediaType } from '../../oci/media-types.ts';
import { entryRefName, entryRepository } from './layout-names.ts';
import type { LayoutStore } from './layout-store.ts';

/** What a stored blob is to the image that reaches it (a referrer's subject is an index or manifest). */
export type BlobRole = 'index' | 'manifest' | 'config' | 'layer';

/** One index.json entry of a store, as users name it. */
export interface StoreImage {
  entry: Descriptor;
  /** `ns/app:1.0`, or `ns/app@sha256:…` for an untagged record (a referrer), or the bare digest. */
  name: string;
  /** The `io.ferry.source` annotation: the full reference the image was mirrored from. */
  source?: string | undefined;
}

/** A digest some image reaches, with how it is referenced. */
export interface GraphNode {
  digest: Digest;
  /** The first descriptor that referenced it (media type, size). */
  descriptor: Descriptor;
  role: BlobRole;
  /** Sizes the referencing descriptors claim (normally one). */
  claimedSizes: Set<number>;
  /** Who claims each size: the manifests whose descriptors say so, and the images whose index.json entry does. */
  claims: Map<number, { parents: Set<Digest>; entries: Set<number> }>;
  /** Indexes into {@link StoreGraph.images} of the images that reach it. */
  images: Set<number>;
}

/** A reference problem: something an image needs that is absent or does not fit. */
export interface GraphProblem {
  digest: Digest;
  kind: 'missing' | 'size-mismatch' | 'invalid-manifest';
  detail: string;
  /** The images it breaks, as indexes into {@link StoreGraph.images}, when not every image that reaches `digest`. */
  images?: number[] | undefined;
}

export interface StoreGraph {
  images: StoreImage[];
  nodes: Map<Digest, GraphNode>;
  problems: GraphProblem[];
}

export interface WalkOptions {
  /** Digests known to be corrupt: their bytes are not parsed (their children stay unchecked). */
  corrupt?: ReadonlySet<Digest> | undefined;
  /** Walk these entries instead of the store's index.json (e.g. the images a bundle is about to add). */
  entries?: readonly Descriptor[] | undefined;
  /** Every stored blob not in `corrupt` was hashed and matches its digest: its size is the truth a descriptor must meet. */
  hashed?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** How an index entry is shown to users. */
export function imageName(entry: Descriptor): string {
  const ref = entryRefName(entry);
  if (ref !== undefined) return ref;
  const repository = entryRepository(entry);
  return repository !== undefined ? `${repository}@${entry.digest}` : entry.digest;
}

function roleOf(mediaType: string, fallback: BlobRole): BlobRole {
  if (isIndexMediaType(mediaType)) return 'index';
  if (isImageMediaType(mediaType)) return 'manifest';
  return fallback;
}

/**
 * The one walk over a store's graph (verify, bundles and garbage collection
 * all read it): every image of a store (index.json → indexes → manifests →
 * configs and layers, plus each referrer's `subject`), recording which images reach
 * which digest. Manifests are read once each (they are small); blobs are only
 * stat'ed. Missing content, sizes that differ from what a descriptor claims
 * and manifests that do not parse are returned as problems. A subject is
 * checked for presence but not walked: it is an image of its own.
 */
export async function walkStore(store: LayoutStore, options: WalkOptions = {}): Promise<StoreGraph> {
  const entries = options.entries ?? (await store.listEntries());
  const images: StoreImage[] = entries.map((entry) => ({ entry, name: imageName(entry), source: entry.annotations?.[ANNOTATION_SOURCE] }));
  const nodes = new Map<Digest, GraphNode>();
  const problems: GraphProblem[] = [];
  // digest → references ([] for leaves and for manifests that could not be read); a subject is checked, not walked.
  type Reference = { descriptor: Descriptor; role: BlobRole; walk: boolean };
  const children = new Map<Digest, Reference[]>();

  const childrenOf = async (node: GraphNode): Promise<Reference[]> => {
    const known = children.get(node.digest);
    if (known) return known;
    let out: Reference[] = [];
    if ((node.role === 'index' || node.role === 'manifest') && !options.corrupt?.has(node.digest)) {
      try {
        const bytes = await store.readBlob(node.digest, { maxBytes: MAX_MANIFEST_BYTES, signal: options.signal });
        const parsed = parseManifest(bytes, node.descriptor.mediaType, `oci:${store.dir}@${node.digest}`);
        const subject = parsed.kind === 'index' ? parsed.index.subject : parsed.manifest.subject;
        if (parsed.kind === 'index') out = parsed.index.manifests.map((d) => ({ descriptor: d, role: roleOf(d.mediaType, 'manifest'), walk: true }));
        else out = [{ descriptor: parsed.manifest.config, role: 'config' as const, walk: true }, ...parsed.manifest.layers.map((d) => ({ descriptor: d, role: 'layer' as const, walk: true }))];
        if (subject) out.push({ descriptor: subject, role: roleOf(subject.mediaType, 'manifest'), walk: false });
      } catch (error) {
        if (!(error instanceof FerryError)) throw error;
        // Absence is reported below for every node; anything else means the bytes are not a usable manifest.
        if (error.code !== 'NOT_FOUND') problems.push({ digest: node.digest, kind: 'invalid-manifest', detail: error.message });
      }
    }
    children.set(node.digest, out);
    return out;
  };

  const visit = (descriptor: Descriptor, role: BlobRole, image: number, parent: Digest | undefined): GraphNode | undefined => {
    let node = nodes.get(descriptor.digest);
    if (!node) {
      node = { digest: descriptor.digest, descriptor, role, claimedSizes: new Set(), claims: new Map(), images: new Set() };
      nodes.set(descriptor.digest, node);
    }
    node.claimedSizes.add(descriptor.size);
    let claim = node.claims.get(descriptor.size);
    if (!claim) {
      claim = { parents: new Set(), entries: new Set() };
      node.claims.set(descriptor.size, claim);
    }
    if (parent === undefined) claim.entries.add(image);
    else claim.parents.add(parent);
    if (node.images.has(image)) return undefined;
    node.images.add(image);
    return node;
  };

  for (const [i, image] of images.entries()) {
    const stack: GraphNode[] = [];
    const top = visit(image.entry, roleOf(image.entry.mediaType, 'manifest'), i, undefined);
    if (top) stack.push(top);
    while (stack.length > 0) {
      throwIfAborted(options.signal);
      const node = stack.pop()!;
      for (const child of await childrenOf(node)) {
        const next = visit(child.descriptor, child.role, i, node.digest);
        // A subject is an image of its own: checked for presence, not walked as part of this one.
        if (next && child.walk) stack.push(next);
      }
    }
  }

  for (const node of nodes.values()) {
    throwIfAborted(options.signal);
    const size = await store.blobSize(node.digest);
    if (size === undefined) {
      problems.push({ digest: node.digest, kind: 'missing', detail: `${node.role} ${node.digest} is not in the store` });
    } else if (!node.claimedSizes.has(size) || node.claimedSizes.size > 1) {
      problems.push(...sizeProblems(node, size, images, options.hashed === true && !options.corrupt?.has(node.digest)));
    }
  }
  return { images, nodes, problems };
}

/**
 * Problems of a blob whose stored size some descriptor contradicts. When the
 * stored bytes are known good (hashed) or match another claim, the blob is
 * right and each descriptor claiming otherwise is at fault: the problem is
 * that manifest's (or that image's index.json entry), and it breaks only the
 * images that use the lying descriptor — not every image sharing the blob.
 * Otherwise the blob itself is suspect (truncated, say).
 */
function sizeProblems(node: GraphNode, size: number, images: readonly StoreImage[], hashed: boolean): GraphProblem[] {
  const wrong = [...node.claims].filter(([claimed]) => claimed !== size);
  if (wrong.length === 0) return [];
  if (!hashed && !node.claims.has(size)) {
    return [{ digest: node.digest, kind: 'size-mismatch', detail: `${node.role} ${node.digest} is ${size} bytes, but a descriptor says ${wrong.map(([claimed]) => claimed).join(', ')}` }];
  }
  const out: GraphProblem[] = [];
  for (const [claimed, { parents, entries }] of wrong) {
    const says = `says ${node.role} ${node.digest} is ${claimed} bytes; the stored blob, ${hashed ? 'which matches its digest' : 'as other descriptors say'}, is ${size}`;
    for (const parent of parents) out.push({ digest: parent, kind: 'size-mismatch', detail: `manifest ${parent} ${says}` });
    for (const i of entries) out.push({ digest: node.digest, kind: 'size-mismatch', detail: `the index.json entry ${images[i]!.name} ${says}`, images: [i] });
  }
  return out;
}
