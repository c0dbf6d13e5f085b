import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { digestAlgorithm, digestHex, digestOf, isDigest, type Digest } from '../../oci/digest.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import { MAX_SIGNATURE_BYTES } from '../simple-signing/payload.ts';

/**
 * GPG simple signing signatures inside an OCI layout (ferry's stores), as
 * SIGNATURES.md describes: `signatures/<algorithm>/<manifest hex>/<sha256 hex
 * of the signature>.signature`, one raw OpenPGP message per file. Named by
 * their own content, so a signature is stored once however often it arrives,
 * signatures of several origins merge, and a file whose bytes do not hash to
 * its name is damaged.
 */

/** Where in an OCI layout ferry keeps simple signing signatures. */
export const LAYOUT_SIGNATURES_DIR = 'signatures';
const SIGNATURE_FILE_RE = /^([0-9a-f]{64})\.signature$/;

/** `<layout>/signatures/<algorithm>/<manifest hex>/`. */
export function layoutSignatureDir(layout: string, digest: Digest): string {
  return join(layout, LAYOUT_SIGNATURES_DIR, digestAlgorithm(digest), digestHex(digest));
}

/** One signature file of a layout. */
export interface StoredSignature {
  /** The manifest it signs (by the directory it is in). */
  manifest: Digest;
  /** sha256 of the signature bytes, by its file name. */
  digest: Digest;
  size: number;
  path: string;
}

async function names(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** The signature files of manifest `digest` (none when the directory is absent); names that are not `<sha256 hex>.signature` are ignored. */
export async function listSignaturesOf(layout: string, digest: Digest): Promise<StoredSignature[]> {
  const dir = layoutSignatureDir(layout, digest);
  const out: StoredSignature[] = [];
  for (const name of await names(dir)) {
    const m = SIGNATURE_FILE_RE.exec(name);
    if (!m) continue;
    const path = join(dir, name);
    const st = await stat(path).catch(() => undefined);
    if (st?.isFile()) out.push({ manifest: digest, digest: `sha256:${m[1]!}`, size: st.size, path });
  }
  return out;
}

/** Every signature file of a layout, by manifest then name. */
export async function listLayoutSignatures(layout: string): Promise<StoredSignature[]> {
  const out: StoredSignature[] = [];
  const root = join(layout, LAYOUT_SIGNATURES_DIR);
  for (const algorithm of await names(root)) {
    for (const hex of await names(join(root, algorithm))) {
      const manifest = `${algorithm}:${hex}`;
      if (isDigest(manifest)) out.push(...(await listSignaturesOf(layout, manifest)));
    }
  }
  return out;
}

/** The signatures of manifest `digest`, in name order; files over the size limit are skipped. */
export async function readLayoutSignatures(layout: string, digest: Digest): Promise<Array<{ blob: Uint8Array; path: string }>> {
  const out: Array<{ blob: Uint8Array; path: string }> = [];
  for (const sig of await listSignaturesOf(layout, digest)) {
    if (sig.size > MAX_SIGNATURE_BYTES) continue;
    out.push({ blob: await readSmallFile(sig.path, { what: 'signature', maxBytes: MAX_SIGNATURE_BYTES, code: 'CORRUPT' }), path: sig.path });
  }
  return out;
}

/** Adds signatures of manifest `digest`, each written atomically under its own sha256; returns the directory. */
export async function writeLayoutSignatures(layout: string, digest: Digest, blobs: readonly Uint8Array[], signal?: AbortSignal): Promise<string> {
  const dir = layoutSignatureDir(layout, digest);
  await mkdir(dir, { recursive: true });
  for (const blob of blobs) await writeFileAtomic(join(dir, `${digestHex(digestOf(blob))}.signature`), blob, { signal });
  return dir;
}
