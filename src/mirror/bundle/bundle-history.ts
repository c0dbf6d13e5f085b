import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import { isDigest } from '../../oci/digest.ts';
import type { ArrivedImage, BundleImportRecord } from '../../server/backend/import-history-backend.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import type { BundleManifest } from './bundle-format.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import { readSmallFileIfPresent } from '../../util/regular-file.ts';

/**
 * `ferry-bundles.json`, beside a store's index.json: the bundles imported
 * into it, so an incremental bundle can check that its predecessor is there,
 * and what each import brought, for `ferry serve`'s Bundles page (which
 * reads it through the server's import-history family, defined beside the
 * server's backend: this file is its writer). Other OCI tools ignore files
 * they do not know in a layout's root.
 */
export const BUNDLE_HISTORY_FILE = 'ferry-bundles.json';

/** One imported bundle; the fields after `imported` are absent in records from before they were kept. */
export type ImportedBundle = BundleImportRecord;

/** What an import brought, recorded with it. */
export type ImportOutcome = Pick<BundleImportRecord, 'from' | 'images' | 'arrived' | 'blobs'>;

/** Arrived images listed by name in a record; beyond this only the count is kept, so the file stays small. */
export const MAX_LISTED_ARRIVALS = 200;

/** A record is at most a few tens of KiB (its listed arrivals): room for thousands of imports. */
const MAX_HISTORY_BYTES = 64 * 1024 * 1024;

const count = z.number().int().nonnegative();
const digest = z.string().refine(isDigest, { message: 'not a valid digest' });

const HistorySchema = z.object({
  bundles: z.array(z.object({
    id: z.string(),
    created: z.string(),
    extends: z.string().optional(),
    imported: z.string(),
    from: z.string().optional(),
    images: count.optional(),
    arrived: z.object({
      count,
      listed: z.array(z.object({ name: z.string(), digest, previous: digest.optional() })).max(MAX_LISTED_ARRIVALS),
    }).optional(),
    blobs: z.object({ written: count, present: count, bytes: count }).optional(),
  })),
});

/** The record of a store in `dir` (a layout root), oldest first; empty when none was written. */
export async function readBundleHistoryAt(dir: string, options: { signal?: AbortSignal | undefined } = {}): Promise<ImportedBundle[]> {
  const path = join(dir, BUNDLE_HISTORY_FILE);
  const bytes = await readSmallFileIfPresent(path, { what: 'bundle history', maxBytes: MAX_HISTORY_BYTES, code: 'CORRUPT', signal: options.signal });
  if (bytes === undefined) return [];
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new FerryError('CORRUPT', `${path} is not valid JSON`, { cause, hint: 'restore it, or remove it and import the bundles again from the first' });
  }
  const parsed = HistorySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FerryError('CORRUPT', `${path}: ${issue ? `${issue.path.map(String).join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data.bundles as ImportedBundle[];
}

/** The bundles imported into a store, oldest first (empty when none). */
export function readBundleHistory(store: LayoutStore, options: { signal?: AbortSignal | undefined } = {}): Promise<ImportedBundle[]> {
  return readBundleHistoryAt(store.realDir, options);
}

/**
 * The named entries of `incoming` that are new in `current` or point
 * elsewhere there: what an import makes arrive. The first
 * {@link MAX_LISTED_ARRIVALS} are listed.
 */
export function arrivals(current: ReadonlyMap<string, string>, incoming: ReadonlyArray<{ name?: string | undefined; digest: string }>): { count: number; listed: ArrivedImage[] } {
  const listed: ArrivedImage[] = [];
  let n = 0;
  for (const image of incoming) {
    if (image.name === undefined) continue;
    const before = current.get(image.name);
    if (before === image.digest) continue;
    n++;
    if (listed.length < MAX_LISTED_ARRIVALS) listed.push(before === undefined ? { name: image.name, digest: image.digest } : { name: image.name, digest: image.digest, previous: before });
  }
  return { count: n, listed };
}

/**
 * Records that `manifest` was imported into `store` with `outcome`
 * (idempotent: a bundle imported again keeps its first record). The file is
 * replaced atomically, so a reader never sees half a record.
 */
export async function recordImportedBundle(store: LayoutStore, manifest: BundleManifest, outcome: ImportOutcome = {}): Promise<void> {
  const history = await readBundleHistory(store);
  if (history.some((b) => b.id === manifest.id)) return;
  // Undefined fields vanish in JSON.stringify.
  history.push({ id: manifest.id, created: manifest.created, extends: manifest.extends, imported: new Date().toISOString(), ...outcome });
  await writeFileAtomic(join(store.realDir, BUNDLE_HISTORY_FILE), `${JSON.stringify({ bundles: history }, null, 1)}\n`);
}
