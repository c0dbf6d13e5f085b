import { isMap, isScalar, parseDocument } from 'yaml';
import { FerryError } from '../../errors.ts';
import { loadSyncInput, readConfig, type LoadSyncInputOptions } from './load.ts';
import type { PlatformFilter, SyncSpec } from './sync-spec.ts';

/** The two files `ferry sync --config` takes. */
export type SyncConfigFormat = 'ferry' | 'image-syncer';

/** What each format is called when ferry says which one it read. */
export const SYNC_CONFIG_FORMAT_NAMES: Record<SyncConfigFormat, string> = {
  ferry: 'ferry sync YAML',
  'image-syncer': 'image-syncer config (auth + images)',
};

/** Top-level keys only a ferry sync YAML has (skopeo's has registry hosts there, image-syncer's auth: and images:). */
export const FERRY_KEYS: ReadonlySet<string> = new Set(['version', 'defaults', 'registries', 'sync']);
const IMAGE_SYNCER_KEYS = new Set(['auth', 'images']);

/**
 * Tells ferry's YAML from image-syncer's combined file by the top-level keys
 * (JSON is YAML too): any of `registries:`, `defaults:`, `sync:`, `version:`
 * is ferry's (whose reader then names a misspelt key); only `auth:` and
 * `images:` is image-syncer's.
 *
 * @throws FerryError `INVALID_CONFIG` naming both formats when the file is neither.
 */
export function detectSyncConfigFormat(text: string, file: string): SyncConfigFormat {
  const { keys, broken } = topLevelKeys(text);
  // A broken document is read as ferry's, whose reader reports the YAML error with its line.
  if (broken) return 'ferry';
  if (keys.some((k) => FERRY_KEYS.has(k))) return 'ferry';
  if (keys.includes('images') && keys.every((k) => IMAGE_SYNCER_KEYS.has(k))) return 'image-syncer';
  const found = keys.length > 0 ? `its top-level keys are ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}` : 'it has no top-level keys';
  throw new FerryError('INVALID_CONFIG', `${file}: neither a ferry sync YAML nor an image-syncer config: ${found}`, {
    hint: 'a ferry sync YAML has registries:, defaults: and sync: (see README "ferry sync YAML"); an image-syncer config has auth: and images: (or give an image-syncer images file with --images)',
  });
}

/** The top-level keys of a YAML (or JSON) document, and whether it failed to parse (its keys are then what could be read). */
export function topLevelKeys(text: string): { keys: string[]; broken: boolean } {
  const doc = parseDocument(text);
  const keys = isMap(doc.contents) ? doc.contents.items.map((item) => (isScalar(item.key) ? String(item.key.value) : '')) : [];
  return { keys, broken: doc.errors.length > 0 };
}

export interface LoadSyncConfigOptions extends LoadSyncInputOptions {
  /** For an image-syncer file: more auth entries (`--auth FILE`). */
  authPath?: string | undefined;
  /** For an image-syncer file: the `--os`/`--arch` filter. */
  platforms?: PlatformFilter | undefined;
  /** For an image-syncer file: the default registry and namespace of empty destinations. */
  defaults?: { registry: string; namespace: string } | undefined;
}

/**
 * Reads a `--config` file, either format, and says which it was.
 * @throws FerryError `INVALID_CONFIG` ("file:line: …", or naming both formats), `IO` when unreadable.
 */
export async function loadSyncConfig(path: string, options: LoadSyncConfigOptions = {}): Promise<{ spec: SyncSpec; format: SyncConfigFormat }> {
  const text = await readConfig(path, 'config file', options.signal);
  const format = detectSyncConfigFormat(text, path);
  if (format === 'ferry') {
    if (options.authPath !== undefined) throw new FerryError('USAGE', `--auth goes with image-syncer files; ${path} is a ferry sync YAML`, { hint: 'put credentials in its registries: section' });
    return { spec: await loadSyncInput({ kind: 'ferry', path, text }, options), format };
  }
  const spec = await loadSyncInput({ kind: 'images', path, text, authPath: options.authPath, platforms: options.platforms, defaults: options.defaults }, options);
  return { spec, format };
}
