import { join } from 'node:path';
import { FerryError } from '../../errors.ts';
import { isDigest, parseDigest, type Digest } from '../../oci/digest.ts';
import { isValidTag } from '../../ref/reference.ts';

/**
 * oc's disk format, as `oc image mirror --dir DIR` writes it and
 * `--from-dir DIR` reads it (openshift/oc pkg/cli/image/imagesource/file.go):
 *
 * ```
 * DIR/v2/<repository>/blobs/sha256:<hex>       every blob, and every manifest's bytes
 * DIR/v2/<repository>/manifests/sha256:<hex>   a manifest: a hard link of its blob file
 * DIR/v2/<repository>/manifests/<tag>          a symlink to "sha256:<hex>"
 * ```
 *
 * No media types are stored: a manifest's type is read from its content. A
 * tag is a symlink and nothing else (oc lists tags as the symlinks of
 * `manifests/`), and a manifest by digest is a regular file.
 */

/** The top folder under DIR, as in the distribution API's URL paths. */
export const V2_DIR = 'v2';
export const BLOBS_DIR = 'blobs';
export const MANIFESTS_DIR = 'manifests';

/** `DIR/v2/<repository>`: the repository's own folder (its path components become folders). */
export function repositoryDir(root: string, repository: string): string {
  return join(root, V2_DIR, ...repository.split('/'));
}

/** The file name of a blob or manifest: the digest itself (oc keeps the colon on Unix). */
export function digestFileName(digest: Digest): string {
  return parseDigest(digest, 'digest');
}

/**
 * The file name under `manifests/` for a tag or digest reference.
 *
 * @throws FerryError `INVALID_REFERENCE` for a reference that is neither (it could name a path outside the folder).
 */
export function manifestFileName(reference: string): string {
  if (isDigest(reference)) return digestFileName(reference);
  if (!isValidTag(reference)) throw new FerryError('INVALID_REFERENCE', `"${reference}" is neither a tag nor a digest`);
  return reference;
}
