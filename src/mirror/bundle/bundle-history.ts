import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import type { BundleManifest } from './bundle-format.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';

/**
 * `ferry-bundles.json`, beside a store's index.json: the bundles imported
 * into it, so an incremental bundle can check that its predecessor is there.
 * Other OCI tools ignore files they do not know in a layout's root.
 */
export const BUNDLE_HISTORY_FILE = 'ferry-bundles.json';

export interface ImportedBundle {
  id: string;
  created: string;
  extends?: string | undefined;
  /** When it was imported (RFC 3339). */
  imported: string;
}

const HistorySchema = z.object({
  bundles: z.array(z.object({ id: z.string(), created: z.string(), extends: z.string().optional(), imported: z.string() })),
});

/** The bundles imported into a store, oldest first (empty when none). */
export async function readBundleHistory(store: LayoutStore): Promise<ImportedBundle[]> {
  const path = join(store.realDir, BUNDLE_HISTORY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new FerryError('IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FerryError('CORRUPT', `${path} is not valid JSON`, { cause, hint: 'restore it, or remove it and import the bundles again from the first' });
  }
  const parsed = HistorySchema.safeParse(json);
  if (!parsed.success) throw new FerryError('CORRUPT', `${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.bundles as ImportedBundle[];
}

/** Records that `manifest` was imported into `store` (idempotent). */
export async function recordImportedBundle(store: LayoutStore, manifest: BundleManifest): Promise<void> {
  const history = await readBundleHistory(store);
  if (history.some((b) => b.id === manifest.id)) return;
  const entry: ImportedBundle = { id: manifest.id, created: manifest.created, imported: new Date().toISOString() };
  if (manifest.extends !== undefined) entry.extends = manifest.extends;
  history.push(entry);
  await writeFileAtomic(join(store.realDir, BUNDLE_HISTORY_FILE), `${JSON.stringify({ bundles: history }, null, 1)}\n`);
}
