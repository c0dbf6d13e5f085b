import type { TransportName, TransportRefOf } from '../ref/transport-ref.ts';
import type { AccessOptions } from './access.ts';
import type { OpenSession } from './open-session.ts';
import type { ImageTarget } from './repository.ts';

/** How to open one `transport:reference`. */
export interface OpenImageOptions {
  /** Source images are read; destinations are written (some transports create files). */
  role: 'source' | 'destination';
  /** Credentials, TLS and limits, in skopeo's per-side flag terms; each transport reads what concerns it. */
  access?: AccessOptions | undefined;
  /** Resources shared by the images of one run; without one the target owns what it opens. */
  session?: OpenSession | undefined;
  /** The user-facing TLS flag for hints (`--src-tls-verify`). */
  tlsFlag?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Opens one transport's reference as a repository and the image name within
 * it. Each transport's folder provides one; the transport table lists them.
 */
export type Opener<K extends TransportName = TransportName> = (ref: TransportRefOf<K>, options: OpenImageOptions) => Promise<ImageTarget>;
