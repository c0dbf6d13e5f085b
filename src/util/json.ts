import type { FerryError } from '../errors.ts';

/**
 * Parses JSON from outside ferry as `unknown`, for a guard or schema to check
 * next (never cast). A syntax error becomes the caller's FerryError, told
 * what the parser said.
 */
export function parseJson(text: string | Uint8Array, onError: (detail: string) => FerryError): unknown {
  const source = typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8');
  try {
    return JSON.parse(source);
  } catch (error) {
    throw onError((error as Error).message);
  }
}

/** A JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
