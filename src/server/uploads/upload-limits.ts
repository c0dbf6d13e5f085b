import { FerryError } from '../../errors.ts';

/**
 * How many chunked uploads the server keeps open, and for how long. An
 * upload session costs the server little, but an unbounded number of them is
 * a way to lock everyone out (issue 11: 10,000 POSTs in 5 s filled a global
 * cap for an hour), so each client and each repository gets its own share.
 */
export interface UploadLimits {
  /** Sessions open at once in the whole server. */
  total: number;
  /** Sessions one client holds: its user name when authenticated, else its remote address. */
  perClient: number;
  /** Sessions open for one repository. */
  perRepository: number;
  /** A session untouched this long (no chunk, no status request) is ended and its bytes dropped. */
  idleMs: number;
  /**
   * When a cap is reached, sessions of that scope idle at least this long are
   * evicted, least recently used first, to make room; a session in use is
   * touched far more often. Below this age a full scope answers 429.
   */
  evictAfterMs: number;
}

/** The limits `ferry serve` runs with. */
export const DEFAULT_UPLOAD_LIMITS: Readonly<UploadLimits> = Object.freeze({
  // More than this at once is a runaway or hostile client set, not a workload.
  total: 10_000,
  // `ferry sync --jobs 16` keeps about 64 blobs in flight, skopeo a handful: 256 leaves room for bursts.
  perClient: 256,
  // Several clients pushing one repository at once, each well within its own share.
  perRepository: 1024,
  // A client between two chunks pauses for seconds; ten minutes of silence means it is gone.
  idleMs: 10 * 60_000,
  evictAfterMs: 60_000,
});

/** The defaults with `overrides` applied; each must be a non-negative number. */
export function uploadLimits(overrides: Partial<UploadLimits> = {}): UploadLimits {
  const limits = { ...DEFAULT_UPLOAD_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!(typeof value === 'number' && value >= 0 && Number.isFinite(value))) throw new FerryError('USAGE', `upload limit ${key} must be a non-negative number, not ${String(value)}`);
  }
  return limits;
}
