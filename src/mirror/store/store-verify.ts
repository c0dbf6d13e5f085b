import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { createDigester, digestAlgorithm, isDigest, type Digest } from '../../oci/digest.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import { mapLimited } from '../../util/pool.ts';
import { walkStore, type BlobRole, type StoreGraph } from '../../transports/layout/layout-graph.ts';

/** Blobs hashed at once: hashing is CPU-bound, and two streams already keep a disk busy. */
export const DEFAULT_VERIFY_CONCURRENCY = 2;

/** One thing wrong with a store, and which images it breaks. */
export interface StoreProblem {
  digest: Digest;
  /**
   * - `missing`: an image references it and it is not stored;
   * - `corrupt`: the stored bytes do not hash to the digest;
   * - `size-mismatch`: the stored size differs from a descriptor's;
   * - `invalid-manifest`: it hashes right but is not a manifest ferry can read.
   */
  kind: 'missing' | 'corrupt' | 'size-mismatch' | 'invalid-manifest';
  /** What it is to the images that reach it; `unreferenced` for a blob no image reaches. */
  role: BlobRole | 'unreferenced';
  detail: string;
  /** The images it breaks, by name (`ns/app:1.0`). */
  images: string[];
  /** The recorded sources of those images (`io.ferry.source`): where `--repair` can fetch it again. */
  sources: string[];
  /** The descriptor that referenced it, when one did (media type and size for a re-fetch). */
  descriptor?: Descriptor | undefined;
}

export interface VerifyStoreOptions {
  /** Re-hash every blob (default true); false checks references, presence and sizes only. */
  rehash?: boolean | undefined;
  concurrency?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each blob is hashed, with its size. */
  onBlob?: ((digest: Digest, size: number) => void) | undefined;
}

export interface VerifyStoreResult {
  /** Images (index.json entries) checked. */
  images: number;
  /** Blobs hashed and their bytes (0 when `rehash` is false). */
  blobs: number;
  bytes: number;
  problems: StoreProblem[];
  /** The reference graph, for callers that go on (repair, bundles). */
  graph: StoreGraph;
}

/** Hashes one stored blob as a stream; returns the actual digest and size. */
export async function hashStoredBlob(store: LayoutStore, digest: Digest, signal?: AbortSignal): Promise<{ actual: Digest; size: number }> {
  const hasher = createDigester(digestAlgorithm(digest));
  let size = 0;
  for await (const chunk of await store.openBlob(digest, { signal })) {
    const buf = chunk as Buffer;
    hasher.update(buf);
    size += buf.byteLength;
  }
  return { actual: `${digestAlgorithm(digest)}:${hasher.digest('hex')}`, size };
}

/**
 * Checks a store: re-hashes every blob file (streaming, a few at a time),
 * then walks every image and checks that each manifest's children, config,
 * layers and referrers' subjects are present with the sizes their
 * descriptors claim. Returns every problem with the images it affects;
 * nothing is changed.
 */
export async function verifyStore(store: LayoutStore, options: VerifyStoreOptions = {}): Promise<VerifyStoreResult> {
  const { signal } = options;
  const corrupt = new Map<Digest, string>();
  const stray: string[] = [];
  let blobs = 0;
  let bytes = 0;
  if (options.rehash ?? true) {
    const listed = await store.listBlobs();
    const valid = listed.filter((d) => {
      if (isDigest(d)) return true;
      stray.push(d);
      return false;
    });
    await mapLimited(valid, options.concurrency ?? DEFAULT_VERIFY_CONCURRENCY, async (digest) => {
      throwIfAborted(signal);
      let result: { actual: Digest; size: number };
      try {
        result = await hashStoredBlob(store, digest, signal);
      } catch (error) {
        // Deleted between listing and reading (a concurrent gc): the walk reports it if an image needs it.
        if (error instanceof FerryError && error.code === 'NOT_FOUND') return;
        throw error;
      }
      blobs++;
      bytes += result.size;
      if (result.actual !== digest) corrupt.set(digest, `blob ${digest} hashes to ${result.actual}`);
      options.onBlob?.(digest, result.size);
    });
  }
  const graph = await walkStore(store, { corrupt: new Set(corrupt.keys()), hashed: options.rehash ?? true, signal });
  const problems: StoreProblem[] = [];
  const affected = (digest: Digest, only?: readonly number[]): Pick<StoreProblem, 'images' | 'sources' | 'descriptor' | 'role'> => {
    const node = graph.nodes.get(digest);
    if (!node) return { images: [], sources: [], role: 'unreferenced' };
    const images = [...(only ?? node.images)].map((i) => graph.images[i]!);
    const sources = [...new Set(images.map((i) => i.source).filter((s): s is string => s !== undefined))];
    return { images: images.map((i) => i.name).sort(), sources, descriptor: node.descriptor, role: node.role };
  };
  for (const [digest, detail] of corrupt) problems.push({ digest, kind: 'corrupt', detail, ...affected(digest) });
  for (const p of graph.problems) {
    // A corrupt blob's size is wrong too; one report per blob is enough.
    if (corrupt.has(p.digest) && p.kind === 'size-mismatch') continue;
    problems.push({ digest: p.digest, kind: p.kind, detail: p.detail, ...affected(p.digest, p.images) });
  }
  if (stray.length > 0) {
    // Not a digest ferry can check; reported so the user sees it, but it breaks no image.
    for (const name of stray) {
      problems.push({ digest: name as Digest, kind: 'corrupt', role: 'unreferenced', detail: `blobs/${name.replace(':', '/')} is not named by a valid digest`, images: [], sources: [] });
    }
  }
  problems.sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : a.kind.localeCompare(b.kind)));
  return { images: graph.images.length, blobs, bytes, problems, graph };
}
