import { FerryError } from '../errors.ts';
import type { Descriptor, ImageIndex, ImageManifest, Platform } from './descriptor.ts';
import { isDigest } from './digest.ts';
import { MediaType, MANIFEST_TYPES, isIndexMediaType, baseMediaType } from './media-types.ts';

/** Manifests larger than this are refused, as the distribution spec allows registries to (4 MiB). */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A manifest as raw bytes with its media type and digest: what every transport moves. */
export interface RawManifest {
  bytes: Uint8Array;
  mediaType: string;
  digest: `${string}:${string}`;
}

export type ParsedManifest =
  | { kind: 'image'; mediaType: string; manifest: ImageManifest }
  | { kind: 'index'; mediaType: string; index: ImageIndex };

function fail(where: string, why: string): never {
  throw new FerryError('INVALID_MANIFEST', `${where}: ${why}`);
}

function checkDescriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) fail(where, 'descriptor is not an object');
  const d = value as Record<string, unknown>;
  if (typeof d['mediaType'] !== 'string') fail(where, 'descriptor has no mediaType');
  if (typeof d['digest'] !== 'string' || !isDigest(d['digest'])) fail(where, `descriptor digest "${String(d['digest'])}" is not a valid digest`);
  if (typeof d['size'] !== 'number' || !Number.isSafeInteger(d['size']) || d['size'] < 0) fail(where, 'descriptor size is not a non-negative integer');
  if (d['platform'] !== undefined) {
    const p = d['platform'] as Record<string, unknown> | null;
    if (typeof p !== 'object' || p === null || typeof p['os'] !== 'string' || typeof p['architecture'] !== 'string') {
      fail(where, 'platform needs "os" and "architecture" strings');
    }
  }
  return d as unknown as Descriptor;
}

/**
 * Decides the media type of manifest bytes: the declared `mediaType` field wins
 * over the transport's Content-Type, then the shape (`manifests` vs `layers`).
 */
export function detectManifestType(json: Record<string, unknown>, contentType: string | undefined): string {
  const declared = json['mediaType'];
  if (typeof declared === 'string' && declared !== '') return declared;
  const header = contentType ? baseMediaType(contentType) : '';
  if (MANIFEST_TYPES.includes(header)) return header;
  if (Array.isArray(json['manifests'])) return MediaType.ociIndex;
  if (json['config'] !== undefined) return MediaType.ociManifest;
  return header;
}

/**
 * Parses and validates untrusted manifest bytes. `where` names the source for
 * errors ("docker://host/repo:tag"). Rejects oversize, non-JSON, schema 1 and
 * unknown media types.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined, where: string): ParsedManifest {
  if (bytes.byteLength > MAX_MANIFEST_BYTES) {
    fail(where, `manifest is ${bytes.byteLength} bytes, over the ${MAX_MANIFEST_BYTES}-byte limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    fail(where, `manifest is not valid JSON (${(err as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(where, 'manifest is not a JSON object');
  const obj = json as Record<string, unknown>;
  if (obj['schemaVersion'] === 1) fail(where, 'Docker schema 1 manifests are not supported (deprecated); re-push the image with a current client');
  if (obj['schemaVersion'] !== 2) fail(where, `unsupported schemaVersion ${JSON.stringify(obj['schemaVersion'])}`);
  const mediaType = detectManifestType(obj, contentType);
  if (!MANIFEST_TYPES.includes(mediaType)) {
    fail(where, `unknown manifest media type "${mediaType || '(none)'}"`);
  }
  if (isIndexMediaType(mediaType)) {
    if (!Array.isArray(obj['manifests'])) fail(where, 'index has no "manifests" array');
    obj['manifests'].forEach((m, i) => checkDescriptor(m, `${where}: manifests[${i}]`));
    if (obj['subject'] !== undefined) checkDescriptor(obj['subject'], `${where}: subject`);
    return { kind: 'index', mediaType, index: obj as unknown as ImageIndex };
  }
  checkDescriptor(obj['config'], `${where}: config`);
  if (!Array.isArray(obj['layers'])) fail(where, 'manifest has no "layers" array');
  obj['layers'].forEach((l, i) => checkDescriptor(l, `${where}: layers[${i}]`));
  if (obj['subject'] !== undefined) checkDescriptor(obj['subject'], `${where}: subject`);
  return { kind: 'image', mediaType, manifest: obj as unknown as ImageManifest };
}

/** The media type of manifest bytes read from storage without a Content-Type: the `mediaType` field, else the shape. */
export function manifestMediaTypeOf(bytes: Uint8Array, where: string): string {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    throw new FerryError('INVALID_MANIFEST', `${where}: manifest is not valid JSON`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new FerryError('INVALID_MANIFEST', `${where}: manifest is not a JSON object`);
  return detectManifestType(json as Record<string, unknown>, undefined);
}

/** Blobs an image manifest references: config first, then layers. */
export function manifestBlobs(manifest: ImageManifest): Descriptor[] {
  return [manifest.config, ...manifest.layers];
}

/** "os/arch[/variant]" for messages and --platform matching. */
export function formatPlatform(p: Platform | undefined): string {
  if (!p) return 'unknown';
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}
