import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import {
  BUNDLE_FILE, BUNDLE_FORMAT, BUNDLE_VERSION, PART_RE, bundleImageOf, partName, readBundleManifest,
  type BundleBlob, type BundleManifest, type BundlePart,
} from './bundle-format.ts';
import { TAR_END_BYTES, tarEntryBytes, writePart } from './bundle-tar.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { removeStaleTemps, tempName } from '../../util/temp-name.ts';
import { walkStore } from '../../transports/layout/layout-graph.ts';
import { openRegularFileStream } from '../../util/regular-file.ts';
import { listLayoutSignatures } from '../../signature/storage/layout-signatures.ts';
import { storeIdentity } from '../store/store-identity.ts';

/** Without --max-size a bundle is one part; this bounds it anyway so a part fits common file systems and media. */
export const DEFAULT_MAX_PART_SIZE = 4 * 1024 ** 4;

export interface CreateBundleOptions {
  /** The previous bundle (its directory, its bundle.json, or the parsed manifest): only what it did not carry goes in. */
  since?: string | BundleManifest | undefined;
  /** Largest part in bytes; a single larger blob gets a part of its own (with a warning). */
  maxSize?: number | undefined;
  /** Replace a complete bundle already in the output directory (default: refuse). */
  overwrite?: boolean | undefined;
  signal?: AbortSignal | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Called as each part is finished. */
  onPart?: ((part: BundlePart) => void) | undefined;
}

export interface CreateBundleResult {
  manifest: BundleManifest;
  /** The bundle directory (absolute). */
  dir: string;
  /** Bytes of blob data the bundle carries. */
  blobBytes: number;
}

interface PlannedBlob {
  digest: Digest;
  size: number;
  /** A signature file: read from here rather than from the store's blobs. */
  path?: string | undefined;
}

/** Groups blobs into parts of at most `max` bytes (a blob larger than that alone in its part). */
function planParts(blobs: PlannedBlob[], max: number, warn: (message: string) => void): PlannedBlob[][] {
  const parts: PlannedBlob[][] = [];
  let current: PlannedBlob[] = [];
  let bytes = TAR_END_BYTES;
  for (const blob of blobs) {
    const entry = tarEntryBytes(blob.digest, blob.size);
    if (current.length > 0 && bytes + entry > max) {
      parts.push(current);
      current = [];
      bytes = TAR_END_BYTES;
    }
    if (entry + TAR_END_BYTES > max) {
      warn(`blob ${blob.digest} (${blob.size} bytes) is larger than the part size limit; its part ${partName(parts.length + 1)} will be ${entry + TAR_END_BYTES} bytes`);
    }
    current.push(blob);
    bytes += entry;
  }
  if (current.length > 0) parts.push(current);
  return parts;
}

/** Makes `dir` ready for a new bundle: removes what an unfinished run left, and refuses (or with `overwrite` removes) a finished one. */
async function prepareOutput(dir: string, overwrite: boolean): Promise<void> {
  let names: string[];
  try {
    await mkdir(dir, { recursive: true });
    names = await readdir(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new FerryError('USAGE', `${dir} exists and is not a directory: a bundle is written into a directory`, { hint: 'name a new or existing directory for the bundle' });
    }
    throw new FerryError('IO', `cannot create the bundle directory ${dir}: ${code ?? (error as Error).message}`, { cause: error });
  }
  if (names.includes(BUNDLE_FILE)) {
    if (!overwrite) {
      throw new FerryError('CONFLICT', `${dir} already holds a bundle (${BUNDLE_FILE})`, { hint: 'write the new bundle to another directory, or remove the old one' });
    }
    // Removed first: without it the directory reads as unfinished if this run dies now.
    await rm(join(dir, BUNDLE_FILE), { force: true });
  }
  for (const name of names) {
    if (PART_RE.test(name)) await rm(join(dir, name), { force: true });
  }
  await removeStaleTemps(dir);
}

/**
 * Writes a bundle of a store into `out`: numbered tar parts holding every
 * blob the store's images reference and every GPG signature of their
 * manifests (with `since`, only those the previous bundles did not carry),
 * then `bundle.json`. Each part is written under a
 * temporary name and renamed when complete; bundle.json comes last, so an
 * interrupted run leaves no file that looks finished. Stored blobs are
 * re-hashed on the way: a corrupt store fails the bundle rather than
 * shipping bad bytes across the gap.
 *
 * @throws FerryError `NOT_FOUND` when the store holds no images; `CORRUPT`
 * when an image of the store is incomplete or a blob does not match its
 * digest; `CONFLICT` when `out` already holds a bundle; `USAGE` when `out`
 * is a file.
 */
export async function createBundle(store: LayoutStore, out: string, options: CreateBundleOptions = {}): Promise<CreateBundleResult> {
  const { signal } = options;
  const dir = resolve(out);
  const since = typeof options.since === 'string' ? await readBundleManifest(options.since, { signal }) : options.since;
  const max = options.maxSize ?? DEFAULT_MAX_PART_SIZE;
  const warn = options.onWarning ?? (() => undefined);

  const graph = await walkStore(store, { signal });
  if (graph.images.length === 0) {
    throw new FerryError('NOT_FOUND', `oci:${store.dir} holds no images: there is nothing to bundle`, {
      hint: 'point bundle create at a mirror store (ferry mirror --to-dir writes one, ferry copy … oci:STORE adds to one)',
    });
  }
  if (graph.problems.length > 0) {
    const first = graph.problems[0]!;
    const images = [...(graph.nodes.get(first.digest)?.images ?? [])].map((i) => graph.images[i]!.name);
    throw new FerryError('CORRUPT', `cannot bundle oci:${store.dir}: ${first.detail}${images.length > 0 ? ` (needed by ${images.join(', ')})` : ''}${graph.problems.length > 1 ? `, and ${graph.problems.length - 1} more problem(s)` : ''}`, {
      hint: `run ferry verify ${store.dir} --repair`,
    });
  }
  const carried = new Set<Digest>(since?.carried ?? []);
  const blobs: PlannedBlob[] = [];
  for (const node of graph.nodes.values()) {
    if (carried.has(node.digest)) continue;
    const size = await store.blobSize(node.digest);
    if (size === undefined) throw new FerryError('CORRUPT', `blob ${node.digest} vanished from oci:${store.dir} while bundling`, { hint: 'is a gc running?' });
    blobs.push({ digest: node.digest, size });
  }
  // GPG signatures of the manifests bundled travel as blob entries of their own sha256 (parts hold nothing else).
  const signatures = (await listLayoutSignatures(store.dir)).filter((s) => {
    const role = graph.nodes.get(s.manifest)?.role;
    return role === 'index' || role === 'manifest';
  });
  const planned = new Set(blobs.map((b) => b.digest));
  for (const sig of signatures) {
    if (carried.has(sig.digest) || planned.has(sig.digest)) continue;
    planned.add(sig.digest);
    blobs.push({ digest: sig.digest, size: sig.size, path: sig.path });
  }

  await prepareOutput(dir, options.overwrite === true);
  const created = new Date();
  const parts: BundlePart[] = [];
  const bundleBlobs: BundleBlob[] = [];
  for (const [i, group] of planParts(blobs, max, warn).entries()) {
    throwIfAborted(signal);
    const name = partName(i + 1);
    const tmp = join(dir, tempName(`.${name}`));
    try {
      const written = await writePart(
        tmp,
        group.map((b) => ({ ...b, open: async () => (b.path !== undefined ? (await openRegularFileStream(b.path, { what: 'signature', code: 'CORRUPT', signal })).stream : store.openBlob(b.digest, { signal })) })),
        { mtime: created, signal },
      );
      await rename(tmp, join(dir, name));
      const part: BundlePart = { name, size: written.size, sha256: written.sha256, blobs: group.length };
      parts.push(part);
      for (const b of group) bundleBlobs.push({ digest: b.digest, size: b.size, part: name });
      options.onPart?.(part);
    } finally {
      await rm(tmp, { force: true });
    }
  }
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    id: randomUUID(),
    created: created.toISOString(),
    ...(since ? { extends: since.id } : {}),
    // A chain of bundles lists one connected side: it keeps the origin its first bundle named.
    origin: since?.origin ?? (await storeIdentity(store)),
    images: graph.images.map((i) => bundleImageOf(i.entry)),
    blobs: bundleBlobs,
    parts,
    carried: [...new Set([...carried, ...blobs.map((b) => b.digest)])].sort(),
    signatures: signatures.map((s) => ({ manifest: s.manifest, digest: s.digest, size: s.size })),
  };
  await writeFileAtomic(join(dir, BUNDLE_FILE), `${JSON.stringify(manifest, null, 1)}\n`);
  return { manifest, dir, blobBytes: blobs.reduce((sum, b) => sum + b.size, 0) };
}

/** Total size of the files of a finished bundle (parts and bundle.json). */
export async function bundleSize(dir: string, manifest: BundleManifest): Promise<number> {
  const json = await stat(join(dir, BUNDLE_FILE));
  return manifest.parts.reduce((sum, p) => sum + p.size, json.size);
}
