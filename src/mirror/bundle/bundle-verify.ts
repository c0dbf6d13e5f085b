import { join, resolve } from 'node:path';
import { FerryError, throwIfAborted } from '../../errors.ts';
import { createDigester, digestAlgorithm, type Digest } from '../../oci/digest.ts';
import { BUNDLE_FILE, readBundleManifest, type BundleBlob, type BundleManifest, type BundlePart } from './bundle-format.ts';
import { partFileSize, readPart } from './bundle-tar.ts';

/** One thing wrong with a bundle, by part and (where it applies) blob. */
export interface BundleProblem {
  kind: 'missing-part' | 'part-size' | 'part-checksum' | 'unreadable-part' | 'refused-entry' | 'unexpected-entry' | 'blob-digest' | 'blob-size' | 'missing-blob' | 'signature';
  part: string;
  digest?: Digest | undefined;
  detail: string;
}

export interface VerifyBundleResult {
  manifest: BundleManifest;
  dir: string;
  /** Parts and blobs checked, and the bytes read. */
  parts: number;
  blobs: number;
  /** GPG signatures listed (their bytes are checked as the blobs of their part, or were carried by the bundles before). */
  signatures: number;
  bytes: number;
  problems: BundleProblem[];
}

export interface VerifyBundleOptions {
  signal?: AbortSignal | undefined;
  onPart?: ((part: BundlePart, problems: number) => void) | undefined;
}

/** Checks one part: presence, size, every entry's name and digest, and the checksum of the whole file. */
export async function verifyPart(dir: string, part: BundlePart, blobs: readonly BundleBlob[], signal?: AbortSignal): Promise<{ problems: BundleProblem[]; blobs: number; bytes: number }> {
  const path = join(dir, part.name);
  const problems: BundleProblem[] = [];
  const expected = new Map(blobs.map((b) => [b.digest, b]));
  let size;
  try {
    size = await partFileSize(path, part.name);
  } catch (error) {
    if (!(error instanceof FerryError)) throw error;
    problems.push({ kind: 'unreadable-part', part: part.name, detail: error.message });
    return { problems, blobs: 0, bytes: 0 };
  }
  if (size === undefined) {
    const list = blobs.map((b) => b.digest);
    problems.push({ kind: 'missing-part', part: part.name, detail: `part ${part.name} is missing (it holds ${list.length} blob(s): ${list.join(', ')})` });
    return { problems, blobs: 0, bytes: 0 };
  }
  if (size !== part.size) problems.push({ kind: 'part-size', part: part.name, detail: `part ${part.name} is ${size} bytes, bundle.json says ${part.size}` });
  const seen = new Set<Digest>();
  let checked = 0;
  let result;
  try {
    result = await readPart(
      path,
      async (entry) => {
        if (entry.refused !== undefined || entry.digest === undefined) {
          problems.push({ kind: 'refused-entry', part: part.name, detail: `part ${part.name}: refusing tar entry ${entry.refused ?? `"${entry.name}"`}` });
          return;
        }
        const digest = entry.digest;
        const want = expected.get(digest);
        if (!want || seen.has(digest)) {
          problems.push({ kind: 'unexpected-entry', part: part.name, digest, detail: `part ${part.name}: entry ${entry.name} is ${seen.has(digest) ? 'there twice' : 'not listed in bundle.json for this part'}` });
          return;
        }
        seen.add(digest);
        const hasher = createDigester(digestAlgorithm(digest));
        let size = 0;
        for await (const chunk of entry.data) {
          hasher.update(chunk as Buffer);
          size += (chunk as Buffer).byteLength;
        }
        checked++;
        const actual = `${digestAlgorithm(digest)}:${hasher.digest('hex')}`;
        if (size !== want.size) problems.push({ kind: 'blob-size', part: part.name, digest, detail: `part ${part.name}: blob ${digest} is ${size} bytes, expected ${want.size}` });
        else if (actual !== digest) problems.push({ kind: 'blob-digest', part: part.name, digest, detail: `part ${part.name}: blob ${digest} is damaged (its bytes hash to ${actual})` });
      },
      { signal },
    );
  } catch (error) {
    if (!(error instanceof FerryError) || error.code === 'ABORTED') throw error;
    problems.push({ kind: 'unreadable-part', part: part.name, detail: `part ${part.name} cannot be read as tar: ${error.message}` });
    const unchecked = blobs.filter((b) => !seen.has(b.digest)).map((b) => b.digest);
    if (unchecked.length > 0) problems.push({ kind: 'missing-blob', part: part.name, detail: `part ${part.name}: ${unchecked.length} blob(s) could not be checked: ${unchecked.join(', ')}` });
    return { problems, blobs: checked, bytes: size };
  }
  if (result.sha256 !== part.sha256) {
    problems.push({ kind: 'part-checksum', part: part.name, detail: `part ${part.name} has sha256 ${result.sha256}, bundle.json says ${part.sha256}` });
  }
  for (const blob of blobs) {
    if (!seen.has(blob.digest)) problems.push({ kind: 'missing-blob', part: part.name, digest: blob.digest, detail: `part ${part.name} does not contain blob ${blob.digest}` });
  }
  return { problems, blobs: checked, bytes: result.size };
}

/**
 * Checks a bundle without unpacking it: every part listed in bundle.json is
 * present with its size and sha256, holds only acceptable entries, every
 * blob in it hashes to its digest, and every GPG signature listed travels in
 * it (or in the bundles it extends). Reads each part once, as a stream.
 * Problems name the part and, where one is at fault, the blob.
 */
export async function verifyBundle(out: string, options: VerifyBundleOptions = {}): Promise<VerifyBundleResult> {
  const dir = resolve(out);
  const manifest = await readBundleManifest(dir, { signal: options.signal });
  const byPart = new Map<string, BundleBlob[]>();
  for (const blob of manifest.blobs) {
    const list = byPart.get(blob.part) ?? [];
    list.push(blob);
    byPart.set(blob.part, list);
  }
  const problems: BundleProblem[] = [];
  let blobs = 0;
  let bytes = 0;
  for (const part of manifest.parts) {
    throwIfAborted(options.signal);
    const checked = await verifyPart(dir, part, byPart.get(part.name) ?? [], options.signal);
    problems.push(...checked.problems);
    blobs += checked.blobs;
    bytes += checked.bytes;
    options.onPart?.(part, checked.problems.length);
  }
  problems.push(...signatureProblems(manifest));
  return { manifest, dir, parts: manifest.parts.length, blobs, signatures: manifest.signatures?.length ?? 0, bytes, problems };
}

/**
 * Each GPG signature bundle.json lists must travel in this bundle (as the
 * blob of its digest and size, whose bytes the part check hashes) or have
 * travelled in the bundles it extends.
 */
function signatureProblems(manifest: BundleManifest): BundleProblem[] {
  const problems: BundleProblem[] = [];
  const here = new Map(manifest.blobs.map((b) => [b.digest, b]));
  const before = new Set(manifest.carried);
  for (const sig of manifest.signatures ?? []) {
    const blob = here.get(sig.digest);
    if (blob !== undefined && blob.size !== sig.size) {
      problems.push({ kind: 'signature', part: blob.part, digest: sig.digest, detail: `signature ${sig.digest} of ${sig.manifest} is listed as ${sig.size} bytes, its blob as ${blob.size}` });
    } else if (blob === undefined && !before.has(sig.digest)) {
      problems.push({ kind: 'signature', part: BUNDLE_FILE, digest: sig.digest, detail: `signature ${sig.digest} of ${sig.manifest} is in no part, and no earlier bundle carried it` });
    }
  }
  return problems;
}
