import { z } from 'zod';
import { FerryError } from '../errors.ts';
import { readSmallFile } from '../util/regular-file.ts';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.ts';

/**
 * Reading the JSON report `ferry sync --report` (and `ferry mirror`) writes.
 * Only the fields the k8s commands use are checked; others are ignored so
 * the report can grow.
 */

const ReportSchema = z.object({
  images: z.array(
    z.object({
      source: z.string(),
      destination: z.string(),
      digest: z.string().optional(),
      status: z.enum(['copied', 'skipped', 'failed', 'planned', 'not-run']),
      bytes: z.number().optional(),
    }),
  ),
});

/** One image of a sync report. */
export interface ReportImage {
  source: string;
  destination: string;
  digest?: string | undefined;
  status: 'copied' | 'skipped' | 'failed' | 'planned' | 'not-run';
}

/** A sync report holds ~1 KB per image: this is room for 100,000 images. */
const MAX_REPORT_BYTES = 128 * 1024 * 1024;

export interface ReadOptions {
  signal?: AbortSignal | undefined;
}

/**
 * Reads and validates a sync report.
 *
 * @throws FerryError `IO` when unreadable, `INVALID_CONFIG` naming the file and the bad field.
 */
export async function readSyncReport(file: string, options: ReadOptions = {}): Promise<ReportImage[]> {
  const text = (await readSmallFile(file, { what: 'report', maxBytes: MAX_REPORT_BYTES, missingCode: 'IO', signal: options.signal })).toString('utf8');
  return parseSyncReport(file, text);
}

/** Validates report text; `file` names it in errors. */
export function parseSyncReport(file: string, text: string): ReportImage[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FerryError('INVALID_CONFIG', `report ${file} is not JSON: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'pass the file written by ferry sync --report',
    });
  }
  const parsed = ReportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? issue.path.map(String).join('.') : '';
    throw new FerryError('INVALID_CONFIG', `report ${file}: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid'}`, {
      hint: 'pass the file written by ferry sync --report',
    });
  }
  return parsed.data.images;
}

// Destinations in other transports (local stores, archives) have no registry reference.
const OTHER_TRANSPORT = /^(?:oci|dir|oci-archive|docker-archive|docker-daemon|containers-storage):/;

/** A report reference (`docker://host/repo:tag` or `host/repo:tag`) as a registry reference, or undefined for other transports. */
export function reportReference(value: string): ImageReference | undefined {
  if (OTHER_TRANSPORT.test(value)) return undefined;
  try {
    return parseReference(value.replace(/^docker:\/\//, ''));
  } catch {
    return undefined;
  }
}

/** `registry/repository:tag` with `latest` for no tag, ignoring any digest: the key tags are pinned by. */
export function tagKey(ref: ImageReference): string {
  return formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' });
}
