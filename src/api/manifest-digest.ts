import { readFile } from 'node:fs/promises';
import { FerryError } from '../errors.ts';
import { digestOf, type Digest } from '../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../oci/manifest.ts';

/** The digest of a manifest file, as a registry would compute it (`skopeo manifest-digest`). */
export async function manifestDigest(path: string): Promise<Digest> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new FerryError('IO', `cannot read manifest ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  if (bytes.byteLength > MAX_MANIFEST_BYTES) throw new FerryError('INVALID_MANIFEST', `${path}: larger than ${MAX_MANIFEST_BYTES} bytes`);
  parseManifest(bytes, undefined, path);
  return digestOf(bytes);
}
