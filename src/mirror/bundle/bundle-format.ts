import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError, isFerryError } from '../../errors.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import { ANNOTATION_REF_NAME, ANNOTATION_SOURCE, type Descriptor } from '../../oci/descriptor.ts';
import { isDigest, type Digest } from '../../oci/digest.ts';

/**
 * `bundle.json`, the table of contents of a bundle: which images it brings,
 * which blobs are in which tar part, each part's checksum, and its place in a
 * chain of incremental bundles. Written last, so a bundle without it is
 * incomplete. It is also the state `--since` reads: keep it when the parts
 * leave.
 */

export const BUNDLE_FILE = 'bundle.json';
export const BUNDLE_FORMAT = 'ferry-bundle';
export const BUNDLE_VERSION = 1;
/** Parts are `mirror_000001.tar`, … — six digits sort correctly up to a million parts. */
export const PART_RE = /^mirror_\d{6}\.tar$/;
/** bundle.json is a table of contents of ~200 bytes per blob: a million blobs fit under this. */
const MAX_BUNDLE_JSON_BYTES = 512 * 1024 * 1024;

export function partName(n: number): string {
  return `mirror_${String(n).padStart(6, '0')}.tar`;
}

/** The only entry names a part may hold. */
export function blobEntryName(digest: Digest): string {
  return `blobs/${digest.replace(':', '/')}`;
}

/** One image the bundle brings: an index.json entry of the store it came from. */
export interface BundleImage {
  /** `org.opencontainers.image.ref.name` (`ns/app:1.0`); absent for untagged records (referrers). */
  name?: string | undefined;
  digest: Digest;
  mediaType: string;
  size: number;
  /** `io.ferry.source`: the full reference it was mirrored from. */
  source?: string | undefined;
  artifactType?: string | undefined;
  /** Every annotation of the entry (name and source included). */
  annotations?: Record<string, string> | undefined;
}

export interface BundleBlob {
  digest: Digest;
  size: number;
  /** The part file holding it. */
  part: string;
}

/**
 * One GPG simple signing signature of the store (SIGNATURES.md: a file
 * beside the blobs, named by its sha256). Its bytes travel in a part as the
 * blob entry of that digest, when this bundle is the first to carry it.
 */
export interface BundleSignature {
  /** The manifest it signs. */
  manifest: Digest;
  /** sha256 of the signature file. */
  digest: Digest;
  size: number;
}

export interface BundlePart {
  name: string;
  size: number;
  /** sha256 of the whole part file (hex). */
  sha256: string;
  blobs: number;
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  /** Random identity; incremental bundles name their predecessor by it. */
  id: string;
  /** RFC 3339. */
  created: string;
  /** The id of the bundle this one extends (`--since`); it must be imported first. */
  extends?: string | undefined;
  /**
   * The connected side this bundle lists completely: the identity of the store
   * it was made from, or of the first bundle's store when made with `--since`.
   * `bundle import --prune` removes from the inside store what an earlier
   * bundle of the same origin brought and this one no longer lists.
   */
  origin?: string | undefined;
  /** The complete set of images of the store when the bundle was made. */
  images: BundleImage[];
  /** The blobs in this bundle's parts (for an incremental bundle only the new ones). */
  blobs: BundleBlob[];
  parts: BundlePart[];
  /** Every blob this bundle and the bundles it extends carry: what a `--since` of this bundle leaves out. */
  carried: Digest[];
  /**
   * Every simple signing signature of the store's manifests when the bundle
   * was made (absent in bundles of ferry versions before signatures were
   * bundled, which carry none).
   */
  signatures?: BundleSignature[] | undefined;
}

const digest = z.string().refine(isDigest, { message: 'not a valid digest' });
const size = z.number().int().nonnegative();

const ManifestSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
  created: z.string(),
  extends: z.string().optional(),
  origin: z.string().regex(/^[A-Za-z0-9-]{8,64}$/).optional(),
  images: z.array(
    z.object({
      name: z.string().optional(),
      digest,
      mediaType: z.string(),
      size,
      source: z.string().optional(),
      artifactType: z.string().optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
  ),
  blobs: z.array(z.object({ digest, size, part: z.string().regex(PART_RE) })),
  parts: z.array(z.object({ name: z.string().regex(PART_RE), size, sha256: z.string().regex(/^[0-9a-f]{64}$/), blobs: size })),
  carried: z.array(digest),
  signatures: z.array(z.object({ manifest: digest, digest: z.string().regex(/^sha256:[0-9a-f]{64}$/, { message: 'not a sha256 digest' }), size })).optional(),
});

/** The bundle image for an index.json entry. */
export function bundleImageOf(entry: Descriptor): BundleImage {
  const image: BundleImage = { digest: entry.digest, mediaType: entry.mediaType, size: entry.size };
  const name = entry.annotations?.[ANNOTATION_REF_NAME];
  const source = entry.annotations?.[ANNOTATION_SOURCE];
  if (name !== undefined) image.name = name;
  if (source !== undefined) image.source = source;
  if (entry.artifactType !== undefined) image.artifactType = entry.artifactType;
  if (entry.annotations && Object.keys(entry.annotations).length > 0) image.annotations = { ...entry.annotations };
  return image;
}

/** The index.json entry a bundle image becomes. */
export function entryOfBundleImage(image: BundleImage): Descriptor {
  const entry: Descriptor = { mediaType: image.mediaType, digest: image.digest, size: image.size };
  if (image.artifactType !== undefined) entry.artifactType = image.artifactType;
  if (image.annotations !== undefined) entry.annotations = { ...image.annotations };
  return entry;
}

/** Validates bundle.json text; `where` names the file. */
export function parseBundleManifest(text: string, where: string): BundleManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FerryError('CORRUPT', `${where} is not valid JSON`, { cause, hint: 'the bundle table of contents is damaged; copy bundle.json again' });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue ? issue.path.map(String).join('.') : '';
    throw new FerryError('CORRUPT', `${where}: ${at === '' ? '' : `${at}: `}${issue?.message ?? 'invalid'}`, {
      hint: 'this is not a bundle written by this version of ferry, or it is damaged',
    });
  }
  const manifest = parsed.data as BundleManifest;
  const parts = new Set(manifest.parts.map((p) => p.name));
  if (parts.size !== manifest.parts.length) throw new FerryError('CORRUPT', `${where}: a part is listed twice`);
  const seen = new Set<string>();
  for (const blob of manifest.blobs) {
    if (!parts.has(blob.part)) throw new FerryError('CORRUPT', `${where}: blob ${blob.digest} is in part ${blob.part}, which is not listed`);
    if (seen.has(blob.digest)) throw new FerryError('CORRUPT', `${where}: blob ${blob.digest} is listed twice`);
    seen.add(blob.digest);
  }
  const signatures = new Set<string>();
  for (const sig of manifest.signatures ?? []) {
    const key = `${sig.manifest} ${sig.digest}`;
    if (signatures.has(key)) throw new FerryError('CORRUPT', `${where}: signature ${sig.digest} of ${sig.manifest} is listed twice`);
    signatures.add(key);
  }
  return manifest;
}

/**
 * Reads a bundle's table of contents from its directory, or from a
 * bundle.json path (the state kept for `--since` once the parts are gone).
 */
export async function readBundleManifest(path: string, options: { signal?: AbortSignal | undefined } = {}): Promise<BundleManifest> {
  let file = path;
  try {
    if ((await stat(path)).isDirectory()) file = join(path, BUNDLE_FILE);
  } catch (error) {
    throw new FerryError('NOT_FOUND', `bundle ${path} does not exist`, { cause: error });
  }
  let bytes: Buffer;
  try {
    bytes = await readSmallFile(file, { what: BUNDLE_FILE, maxBytes: MAX_BUNDLE_JSON_BYTES, code: 'CORRUPT', signal: options.signal });
  } catch (error) {
    if (isFerryError(error, 'NOT_FOUND')) {
      throw new FerryError('NOT_FOUND', `${file} does not exist: ${path} is not a complete bundle`, {
        cause: error,
        hint: 'bundle.json is written last; a bundle without it was not finished (run bundle create again)',
      });
    }
    throw error;
  }
  return parseBundleManifest(bytes.toString('utf8'), file);
}
