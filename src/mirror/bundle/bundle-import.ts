import { join, resolve } from 'node:path';
import { FerryError, throwIfAborted } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { digestOf, type Digest } from '../../oci/digest.ts';
import type { SignatureSession } from '../../signature/signature-session.ts';
import { MAX_SIGNATURE_BYTES } from '../../signature/simple-signing/payload.ts';
import { listSignaturesOf, writeLayoutSignatures } from '../../signature/storage/layout-signatures.ts';
import { entryRefName, entryRepository, imageName, type LayoutStore } from '../../transports/layout/index.ts';
import { entryOfBundleImage, readBundleManifest, type BundleBlob, type BundleManifest } from './bundle-format.ts';
import { arrivals, readBundleHistory, recordImportedBundle, type ImportOutcome } from './bundle-history.ts';
import { judgeIncoming, type RefusedImage } from './bundle-policy.ts';
import { partFileSize, readPart } from './bundle-tar.ts';
import { walkStore } from '../../transports/layout/layout-graph.ts';

export interface ImportBundleOptions {
  /**
   * Re-check the signature policy inside the gap (`bundle import --policy`):
   * images it refuses are not named in the store (their content stays
   * unnamed until `ferry gc`); without it every image is named.
   */
  policy?: SignatureSession | undefined;
  signal?: AbortSignal | undefined;
  /** Called after each part is unpacked. */
  onPart?: ((part: string, written: number) => void) | undefined;
}

export interface ImportBundleResult {
  manifest: BundleManifest;
  /** Blobs stored now, and those the store already had. */
  written: number;
  present: number;
  bytesWritten: number;
  /** Images (index.json entries) added or updated. */
  images: number;
  /** GPG signatures stored now (the others were in the store already). */
  signatures: number;
  /** Images the policy refused, with the requirement that failed (with `policy`). */
  refused: RefusedImage[];
  /** The bundle had been imported into this store before (the import was repeated harmlessly). */
  again: boolean;
}

/** index.json after adding `incoming`: a name moves to its new manifest; untagged records are added once per repository. */
export function mergeEntries(current: readonly Descriptor[], incoming: readonly Descriptor[]): Descriptor[] {
  let next = [...current];
  for (const entry of incoming) {
    const name = entryRefName(entry);
    if (name !== undefined) {
      next = next.filter((e) => entryRefName(e) !== name);
    } else {
      const repository = entryRepository(entry);
      if (next.some((e) => entryRefName(e) === undefined && e.digest === entry.digest && entryRepository(e) === repository)) continue;
    }
    next.push(entry);
  }
  return next;
}

function refuse(part: string, why: string): FerryError {
  return new FerryError('CORRUPT', `bundle part ${part}: refusing tar entry ${why}`, {
    hint: 'the bundle is damaged or crafted; nothing was written outside the store and no image was added',
  });
}

/**
 * Unpacks a bundle into a store. Checks first that the bundle's predecessor
 * (if it extends one) was imported into this store, and that every part is
 * present with its size. Then streams each part once: entries must be
 * regular files named `blobs/<alg>/<hex>` that bundle.json lists for that
 * part (anything else — `..`, absolute paths, links — is refused before a
 * byte is written); each blob goes through the store's verified write; the
 * part's sha256 is checked at its end. Only when every part passed and every
 * image is complete in the store are the GPG signatures stored beside the
 * blobs, the images judged by `policy` (when given), and the index entries of
 * those it accepts added, in one atomic index update, and the bundle recorded
 * in `ferry-bundles.json` with what it brought (the images it added or moved,
 * the blobs it unpacked).
 */
export async function importBundle(out: string, store: LayoutStore, options: ImportBundleOptions = {}): Promise<ImportBundleResult> {
  const { signal } = options;
  const dir = resolve(out);
  const manifest = await readBundleManifest(dir, { signal });
  const history = await readBundleHistory(store);
  const again = history.some((b) => b.id === manifest.id);
  if (manifest.extends !== undefined && !history.some((b) => b.id === manifest.extends)) {
    throw new FerryError('CONFLICT', `bundle ${manifest.id} is incremental: it extends bundle ${manifest.extends}, which has not been imported into oci:${store.dir}`, {
      hint: `import bundle ${manifest.extends} (and any bundle it extends) into this store first, then this one`,
    });
  }
  const byPart = new Map<string, Map<Digest, BundleBlob>>();
  for (const blob of manifest.blobs) {
    const map = byPart.get(blob.part) ?? new Map<Digest, BundleBlob>();
    map.set(blob.digest, blob);
    byPart.set(blob.part, map);
  }
  for (const part of manifest.parts) {
    const size = await partFileSize(join(dir, part.name), part.name);
    if (size === undefined) throw new FerryError('NOT_FOUND', `bundle part ${part.name} is missing from ${dir}`, { hint: 'copy every mirror_*.tar part of the bundle' });
    if (size !== part.size) throw new FerryError('CORRUPT', `bundle part ${part.name} is ${size} bytes, bundle.json says ${part.size}`, { hint: 'copy the part again' });
  }

  // Signature files travel as blob entries; they go beside the blobs, not among them.
  const signatureDigests = new Set<Digest>((manifest.signatures ?? []).map((sig) => sig.digest));
  const signatureBytes = new Map<Digest, Buffer>();
  let written = 0;
  let present = 0;
  let bytesWritten = 0;
  for (const part of manifest.parts) {
    throwIfAborted(signal);
    const expected = byPart.get(part.name) ?? new Map<Digest, BundleBlob>();
    const seen = new Set<Digest>();
    let partWritten = 0;
    const result = await readPart(
      join(dir, part.name),
      async (entry) => {
        if (entry.refused !== undefined || entry.digest === undefined) throw refuse(part.name, entry.refused ?? `"${entry.name}"`);
        const want = expected.get(entry.digest);
        if (!want) throw refuse(part.name, `"${entry.name}": bundle.json does not list it in this part`);
        if (seen.has(entry.digest)) throw refuse(part.name, `"${entry.name}": it appears twice`);
        seen.add(entry.digest);
        if (entry.size !== want.size) throw new FerryError('CORRUPT', `bundle part ${part.name}: blob ${entry.digest} is ${entry.size} bytes, bundle.json says ${want.size}`);
        if (signatureDigests.has(entry.digest)) {
          signatureBytes.set(entry.digest, await readSignatureEntry(part.name, entry.digest, entry.data, want.size));
          return;
        }
        if (await store.hasBlob(entry.digest)) {
          // Already stored (verified when it was); the part checksum still covers these bytes.
          present++;
          return;
        }
        try {
          await store.writeBlob(entry.data, { digest: entry.digest, size: want.size }, { signal });
        } catch (error) {
          if (error instanceof FerryError && (error.code === 'DIGEST_MISMATCH' || error.code === 'SIZE_MISMATCH')) {
            throw new FerryError('CORRUPT', `bundle part ${part.name}: blob ${entry.digest} is damaged (${error.message})`, { cause: error, hint: 'copy the part again; run ferry bundle verify to see every damaged blob' });
          }
          throw error;
        }
        written++;
        partWritten++;
        bytesWritten += want.size;
      },
      { signal },
    );
    if (result.sha256 !== part.sha256) {
      throw new FerryError('CORRUPT', `bundle part ${part.name} has sha256 ${result.sha256}, bundle.json says ${part.sha256}`, { hint: 'copy the part again; no image was added' });
    }
    const absent = [...expected.keys()].filter((d) => !seen.has(d));
    if (absent.length > 0) throw new FerryError('CORRUPT', `bundle part ${part.name} does not contain blob ${absent[0]}${absent.length > 1 ? ` (and ${absent.length - 1} more)` : ''}`);
    options.onPart?.(part.name, partWritten);
  }

  // Every image must be complete before it is named: what this bundle lacks, its predecessors brought.
  const entries = manifest.images.map(entryOfBundleImage);
  const check = await walkStore(store, { entries, signal });
  if (check.problems.length > 0) {
    const first = check.problems[0]!;
    throw new FerryError('CORRUPT', `bundle ${manifest.id} cannot be completed in oci:${store.dir}: ${first.detail}`, {
      hint: manifest.extends !== undefined ? `the store lacks content the bundles before ${manifest.id} brought; was it garbage-collected?` : 'the bundle is incomplete',
    });
  }
  const signatures = await storeSignatures(store, manifest, signatureBytes, signal);
  const refused = options.policy ? await judgeIncoming(store, entries, options.policy, signal) : [];
  const refusedEntries = new Set(refused.map((r) => r.name));
  const named = entries.filter((e) => !refusedEntries.has(imageName(e)));
  let arrived: ImportOutcome['arrived'];
  await store.updateIndex((current) => {
    const before = new Map<string, string>();
    for (const e of current) {
      const name = entryRefName(e);
      if (name !== undefined) before.set(name, e.digest);
    }
    arrived = arrivals(before, manifest.images.filter((image) => image.name === undefined || !refusedEntries.has(image.name)));
    return mergeEntries(current, named);
  }, { signal });
  await recordImportedBundle(store, manifest, { from: dir, images: named.length, arrived, blobs: { written, present, bytes: bytesWritten } });
  return { manifest, written, present, bytesWritten, images: named.length, signatures, refused, again };
}

/** Reads a signature entry whole (signatures are small) and checks its digest. */
async function readSignatureEntry(part: string, digest: Digest, data: AsyncIterable<unknown>, size: number): Promise<Buffer> {
  if (size > MAX_SIGNATURE_BYTES) throw new FerryError('CORRUPT', `bundle part ${part}: signature ${digest} is ${size} bytes, over the ${MAX_SIGNATURE_BYTES}-byte limit for a signature`);
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (digestOf(bytes) !== digest) throw new FerryError('CORRUPT', `bundle part ${part}: signature ${digest} is damaged (its bytes hash to ${digestOf(bytes)})`, { hint: 'copy the part again; no image was added' });
  return bytes;
}

/**
 * Stores the bundle's GPG signatures beside the store's blobs (SIGNATURES.md):
 * those this bundle carries, each checked against its digest on the way in;
 * the others must be in the store already, from the bundles before.
 * Returns how many were stored now.
 */
async function storeSignatures(store: LayoutStore, manifest: BundleManifest, carried: ReadonlyMap<Digest, Buffer>, signal: AbortSignal | undefined): Promise<number> {
  let stored = 0;
  for (const sig of manifest.signatures ?? []) {
    const bytes = carried.get(sig.digest);
    if (bytes === undefined) {
      const there = (await listSignaturesOf(store.dir, sig.manifest)).some((s) => s.digest === sig.digest);
      if (!there) throw new FerryError('CORRUPT', `bundle ${manifest.id} lists signature ${sig.digest} of ${sig.manifest}, which neither it nor oci:${store.dir} holds`, { hint: 'import the bundles it extends first; no image was added' });
      continue;
    }
    await writeLayoutSignatures(store.dir, sig.manifest, [bytes], signal);
    stored++;
  }
  return stored;
}
