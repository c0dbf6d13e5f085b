import { digestOf, type Digest } from '../oci/digest.ts';
import { MAX_MANIFEST_BYTES, parseManifest } from '../oci/manifest.ts';
import { readSmallFile } from '../util/regular-file.ts';

/** The digest of a manifest file, as a registry would compute it (`skopeo manifest-digest`). */
export async function manifestDigest(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<Digest> {
  const bytes = await readSmallFile(path, { what: 'manifest', maxBytes: MAX_MANIFEST_BYTES, code: 'INVALID_MANIFEST', missingCode: 'IO', signal: options.signal });
  parseManifest(bytes, undefined, path);
  return digestOf(bytes);
}
