/**
 * The single error type of ferry. Every failure the library reports is a
 * FerryError with a stable `code`; the CLI maps codes to exit codes and prints
 * `message` and `hint`, never a stack trace.
 */
export type ErrorCode =
  | 'USAGE' // bad command line or options
  | 'INVALID_REFERENCE' // an image or transport reference that breaks the grammar
  | 'INVALID_CONFIG' // a config / mapping / auth file that cannot be used
  | 'INVALID_MANIFEST' // a manifest, index or config that is malformed, unknown or too large
  | 'DIGEST_MISMATCH' // content did not hash to the digest it was addressed by
  | 'SIZE_MISMATCH' // content length differs from its descriptor
  | 'NOT_FOUND' // image, manifest, tag, blob or repository does not exist
  | 'UNAUTHORIZED' // credentials missing or rejected
  | 'DENIED' // authenticated but not allowed
  | 'TLS' // certificate verification or handshake failure
  | 'NETWORK' // connection refused, reset, timed out
  | 'REGISTRY' // any other registry error response
  | 'DAEMON' // an error answer from a local container engine (Docker daemon, Podman service)
  | 'TOO_MANY_REQUESTS' // rate limited, after retries
  | 'UNSUPPORTED' // an operation the transport or registry does not support
  | 'DIGEST_CHANGE' // --preserve-digests refused an operation that rewrites a manifest
  | 'CREDENTIAL_HELPER' // a docker-credential-* program failed
  | 'IO' // local file system failure
  | 'ABORTED' // cancelled through an AbortSignal
  | 'CORRUPT' // stored content failed verification
  | 'CONFLICT' // concurrent modification that could not be resolved
  | 'LIMIT' // a safety limit stopped the operation before it changed anything (--max-delete)
  | 'POLICY_DENIED'; // the signature policy refused an image (missing, untrusted or mismatched signatures)

export interface FerryErrorOptions {
  /** One line telling the user what to try next. */
  hint?: string | undefined;
  cause?: unknown;
  /** Whether repeating the same operation may succeed (network errors, 5xx, 429). */
  retryable?: boolean | undefined;
  /** Registry details, credentials already removed from `url`. */
  http?: HttpErrorDetails | undefined;
}

export interface HttpErrorDetails {
  method: string;
  url: string;
  status?: number | undefined;
  /** OCI distribution error code such as MANIFEST_UNKNOWN. */
  ociCode?: string | undefined;
  /** Milliseconds the server asked us to wait (Retry-After, RateLimit-Reset). */
  retryAfterMs?: number | undefined;
}

export class FerryError extends Error {
  override readonly name = 'FerryError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly http: HttpErrorDetails | undefined;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.http = options.http;
  }
}

export function isFerryError(value: unknown, code?: ErrorCode): value is FerryError {
  return value instanceof FerryError && (code === undefined || value.code === code);
}

/**
 * Failures no later attempt can fix: the thing is absent, refused, malformed,
 * unsupported, or the user cancelled. A run does not try these again in its
 * final pass. Everything else (network, 5xx, 429 after retries, a disk that
 * filled up, a lock that timed out) may pass on a later try.
 */
const PERMANENT: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE', 'INVALID_REFERENCE', 'INVALID_CONFIG', 'INVALID_MANIFEST', 'NOT_FOUND', 'UNAUTHORIZED', 'DENIED', 'UNSUPPORTED', 'DIGEST_CHANGE', 'ABORTED', 'POLICY_DENIED',
]);

/** Whether trying the same work again later cannot succeed (see {@link PERMANENT}); errors that are not FerryErrors are bugs, and permanent. */
export function isPermanent(error: unknown): boolean {
  return !(error instanceof FerryError) || PERMANENT.has(error.code);
}

/** Whether repeating the same request right away may succeed (connection reset, 5xx, 429): the error says so itself. */
export function isRetryable(error: unknown): error is FerryError {
  return error instanceof FerryError && error.retryable;
}

/** Turns an AbortSignal's reason into a FerryError('ABORTED') unless it already is one. */
export function abortError(signal: AbortSignal | undefined): FerryError {
  const reason: unknown = signal?.reason;
  if (reason instanceof FerryError) return reason;
  return new FerryError('ABORTED', 'operation cancelled', { cause: reason });
}

/** Throws the abort error when the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError(signal);
}
