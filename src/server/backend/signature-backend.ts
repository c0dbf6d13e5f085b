import type { Digest } from '../../oci/digest.ts';
import type { BackendCallOptions } from './blob-backend.ts';

/**
 * The store's GPG simple signing signatures, served as a lookaside
 * (containers/image's `<lookaside>/<repository>@<algorithm>=<hex>/signature-<N>`),
 * so a registry served from a store is its own signature server. Optional:
 * only stores that keep signatures have it. The server layer may not read
 * the signature formats itself, so whoever assembles the backend (the
 * `serve` command) fills it in.
 */
export interface SignatureBackend {
  /** The signatures of manifest `digest`, in the order they are numbered from 1; [] when it has none. */
  simpleSignatures(digest: Digest, options?: BackendCallOptions): Promise<Uint8Array[]>;
}
