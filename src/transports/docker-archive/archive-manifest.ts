import { FerryError } from '../../errors.ts';
import { isDigest, type Digest } from '../../oci/digest.ts';
import { isRecord } from '../../util/json.ts';

/**
 * One image of a `docker save` archive's `manifest.json`: paths (inside the
 * tar) of its config and of its layers, bottom first, and its names.
 */
export interface ArchiveImageEntry {
  Config: string;
  RepoTags: string[];
  Layers: string[];
}

/** Validates the untrusted `manifest.json` of a docker-archive; `where` names the archive. */
export function parseArchiveManifest(bytes: Uint8Array, where: string): ArchiveImageEntry[] {
  const fail = (why: string): never => {
    throw new FerryError('INVALID_MANIFEST', `${where}: manifest.json ${why}`, { hint: 'is this a docker save / docker-archive tar?' });
  };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    fail(`is not valid JSON (${(error as Error).message})`);
  }
  if (!Array.isArray(json)) return fail('is not a JSON array');
  return json.map((item: unknown, i): ArchiveImageEntry => {
    if (typeof item !== 'object' || item === null) return fail(`entry ${i} is not an object`);
    const e = item as Record<string, unknown>;
    if (typeof e['Config'] !== 'string' || e['Config'] === '') fail(`entry ${i} has no "Config" path`);
    const tags = e['RepoTags'] ?? [];
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) fail(`entry ${i}: "RepoTags" is not a list of strings`);
    const layers = e['Layers'] ?? [];
    if (!Array.isArray(layers) || !layers.every((l) => typeof l === 'string' && l !== '')) fail(`entry ${i}: "Layers" is not a list of paths`);
    return { Config: e['Config'] as string, RepoTags: tags as string[], Layers: layers as string[] };
  });
}

/** The `rootfs.diff_ids` of an image config: the digests of its uncompressed layers, bottom first. */
export function configDiffIds(config: Uint8Array, where: string): Digest[] {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(config.buffer, config.byteOffset, config.byteLength).toString('utf8'));
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${where}: image config is not valid JSON`, { cause: error });
  }
  const rootfs = isRecord(json) ? json['rootfs'] : undefined;
  const ids = isRecord(rootfs) ? rootfs['diff_ids'] : undefined;
  if (!Array.isArray(ids) || !ids.every((d): d is Digest => typeof d === 'string' && isDigest(d))) {
    throw new FerryError('INVALID_MANIFEST', `${where}: image config has no valid "rootfs.diff_ids" list`);
  }
  return ids;
}
