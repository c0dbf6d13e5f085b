import type { Digest } from '../oci/digest.ts';

/** How a blob reached the destination. */
export type BlobOutcome = 'uploaded' | 'mounted' | 'exists' | 'skipped-foreign';

/**
 * Progress of a copy. The library emits these and never prints; the CLI
 * renders them (bars on a TTY, lines otherwise, JSON with --json).
 */
export type CopyEvent =
  | { type: 'image-start'; source: string; destination: string }
  | { type: 'manifest-resolved'; source: string; digest: Digest; mediaType: string; instances: number }
  | { type: 'blob-start'; destination: string; digest: Digest; size: number }
  | { type: 'blob-progress'; digest: Digest; bytes: number }
  | { type: 'blob-done'; destination: string; digest: Digest; size: number; outcome: BlobOutcome }
  | { type: 'manifest-written'; destination: string; reference: string; digest: Digest }
  | { type: 'image-done'; source: string; destination: string; digest: Digest; bytesTransferred: number }
  /** `image`: the destination the retried work belongs to, when it belongs to one (parallel runs name it). */
  | { type: 'retry'; what: string; attempt: number; delayMs: number; reason: string; image?: string | undefined }
  | { type: 'warning'; message: string; image?: string | undefined };

export type CopyEventListener = (event: CopyEvent) => void;
