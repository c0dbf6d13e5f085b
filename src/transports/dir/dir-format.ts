import { FerryError } from '../../errors.ts';
import { digestAlgorithm, digestHex, parseDigest, type Digest } from '../../oci/digest.ts';

/**
 * skopeo's `dir:` layout (containers/image "Directory Transport", as skopeo
 * 1.9 writes it):
 * - `version`: `Directory Transport Version: 1.1\n`;
 * - `manifest.json`: the top manifest (an image, or a list with `--all`);
 * - `<hex>.manifest.json`: each instance of a list, named by its digest;
 * - `<hex>`: every blob (config and layers), named by the hex of its sha256
 *   digest without the algorithm;
 * - `signature-N`: signatures, which ferry neither writes nor reads.
 */

export const DIR_VERSION = 'Directory Transport Version: 1.1\n';
/** Versions a source may carry; 1.0 predates instance manifests but reads the same. */
export const READABLE_VERSIONS: readonly string[] = ['Directory Transport Version: 1.0\n', DIR_VERSION];
export const VERSION_FILE = 'version';
/** The `version` file is one line; this bounds a path that names something else. */
export const MAX_VERSION_FILE_BYTES = 4096;
export const MANIFEST_FILE = 'manifest.json';

/**
 * The file name of a blob. sha256 blobs are bare hex, as skopeo writes them;
 * other algorithms (which skopeo 1.9 cannot store) get an `alg-` prefix so
 * they can never collide with a sha256 name.
 */
export function blobFileName(digest: Digest): string {
  const d = parseDigest(digest, 'blob digest');
  const algorithm = digestAlgorithm(d);
  return algorithm === 'sha256' ? digestHex(d) : `${algorithm}-${digestHex(d)}`;
}

/** The file name of an instance manifest of a list: `<hex>.manifest.json`. */
export function instanceManifestFileName(digest: Digest): string {
  return `${blobFileName(digest)}.manifest.json`;
}

/** Checks the `version` file's text; a missing file (undefined) is accepted as skopeo does. */
export function checkVersion(text: string | undefined, where: string): void {
  if (text === undefined || READABLE_VERSIONS.includes(text)) return;
  throw new FerryError('UNSUPPORTED', `${where}: unsupported directory transport version ${JSON.stringify(text.trim())}`, {
    hint: `ferry reads ${READABLE_VERSIONS.map((v) => JSON.stringify(v.trim())).join(' and ')}`,
  });
}
