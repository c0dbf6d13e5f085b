import type { ServerResponse } from 'node:http';
import { FerryError } from '../errors.ts';

/** Error codes of the OCI distribution spec (plus NOT_FOUND for unknown endpoints). */
export type RegistryErrorCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'NOT_FOUND';

/** An error answered to the client as a distribution-spec error body with an HTTP status. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  readonly status: number;
  readonly code: RegistryErrorCode;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(status: number, code: RegistryErrorCode, message: string, options: { detail?: unknown; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}

/**
 * Maps any failure to what the client sees. Library errors about the client's
 * input become 4xx; only genuine server faults (disk, bugs) are 5xx, and their
 * message never carries a stack.
 */
export function toRegistryError(error: unknown): RegistryError {
  if (error instanceof RegistryError) return error;
  if (error instanceof FerryError) {
    switch (error.code) {
      case 'INVALID_MANIFEST':
        return new RegistryError(400, 'MANIFEST_INVALID', error.message);
      case 'DIGEST_MISMATCH':
        return new RegistryError(400, 'DIGEST_INVALID', error.message);
      case 'SIZE_MISMATCH':
        return new RegistryError(400, 'SIZE_INVALID', error.message);
      case 'INVALID_REFERENCE':
        return new RegistryError(400, 'NAME_INVALID', error.message);
      case 'NOT_FOUND':
        return new RegistryError(404, 'MANIFEST_UNKNOWN', error.message);
      case 'CORRUPT':
        return new RegistryError(500, 'UNSUPPORTED', error.message);
      case 'CONFLICT':
        return new RegistryError(503, 'TOOMANYREQUESTS', error.message, { headers: { 'Retry-After': '1' } });
      default:
        return new RegistryError(500, 'UNSUPPORTED', `internal error (${error.code})`);
    }
  }
  return new RegistryError(500, 'UNSUPPORTED', 'internal error');
}

/** Writes a distribution-spec error body (no body for HEAD). */
export function sendError(res: ServerResponse, error: RegistryError, head: boolean): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ errors: [{ code: error.code, message: error.message, ...(error.detail === undefined ? {} : { detail: error.detail }) }] });
  res.statusCode = error.status;
  for (const [k, v] of Object.entries(error.headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(head ? undefined : body);
}
