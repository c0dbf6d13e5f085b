import { FerryError } from '../../errors.ts';
import type { Descriptor } from '../../oci/descriptor.ts';
import { isDigest } from '../../oci/digest.ts';
import { MediaType } from '../../oci/media-types.ts';

/** Content of a layout's `index.json`: an OCI image index whose entries name the stored images. */
export interface LayoutIndex {
  schemaVersion: 2;
  mediaType?: string | undefined;
  manifests: Descriptor[];
  annotations?: Record<string, string> | undefined;
  /** Fields other tools wrote are kept as they are. */
  [field: string]: unknown;
}

/** The `oci-layout` file content ferry writes and accepts. */
export const LAYOUT_VERSION = '1.0.0';

export function emptyLayoutIndex(): LayoutIndex {
  return { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
}

function corrupt(where: string, why: string): never {
  throw new FerryError('CORRUPT', `${where}: ${why}`, { hint: 'the OCI layout index is damaged; restore it or re-create the layout' });
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** Validates untrusted index.json bytes; `where` is the file path for messages. */
export function parseLayoutIndex(text: string, where: string): LayoutIndex {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    corrupt(where, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) corrupt(where, 'not a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj['schemaVersion'] !== 2) corrupt(where, `unsupported schemaVersion ${JSON.stringify(obj['schemaVersion'])}`);
  const manifests = obj['manifests'];
  if (!Array.isArray(manifests)) corrupt(where, 'no "manifests" array');
  manifests.forEach((m: unknown, i) => {
    const at = `manifests[${i}]`;
    if (typeof m !== 'object' || m === null) corrupt(where, `${at} is not an object`);
    const d = m as Record<string, unknown>;
    if (typeof d['mediaType'] !== 'string') corrupt(where, `${at} has no mediaType`);
    if (typeof d['digest'] !== 'string' || !isDigest(d['digest'])) corrupt(where, `${at} digest ${JSON.stringify(d['digest'])} is invalid`);
    if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0) corrupt(where, `${at} size is not a non-negative integer`);
    if (d['annotations'] !== undefined && !isStringRecord(d['annotations'])) corrupt(where, `${at} annotations are not string pairs`);
  });
  return obj as LayoutIndex;
}

/** The exact bytes ferry writes for an index (compact, like other OCI tools). */
export function serializeLayoutIndex(index: LayoutIndex): string {
  return JSON.stringify(index);
}
