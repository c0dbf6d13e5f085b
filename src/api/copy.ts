import type { PlatformSelector } from '../oci/platform.ts';
import { parsePlatform } from '../oci/platform.ts';
import { attributeAccessFailure } from '../copy/access-failure.ts';
import { parseTransportRef } from '../ref/transport-ref.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import { copySigned, withSignatureSession, type SignedCopyResult } from '../signature/signed-copy.ts';
import type { CopyEventListener } from '../copy/events.ts';
import type { InstanceSelection } from '../copy/select-instances.ts';
import { openImage } from '../transports/open-image.ts';
import type { AccessOptions } from '../repository/access.ts';
import { OpenSession } from '../repository/open-session.ts';
import { retryPolicy } from '../util/retry.ts';

export interface CopyOptions {
  /** Copy every instance of a multi-platform index (`--all`). */
  all?: boolean | undefined;
  /** Copy these platforms of an index (`--platform os/arch[/variant]`, repeatable). */
  platforms?: ReadonlyArray<string | PlatformSelector> | undefined;
  /** Refuse anything that would change a digest (`--preserve-digests`). */
  preserveDigests?: boolean | undefined;
  /** Blobs in flight at once (`--jobs`). */
  jobs?: number | undefined;
  /** Extra attempts on retryable failures (`--retry-times`). */
  retryTimes?: number | undefined;
  /** Source registry access (`--src-*`). */
  src?: AccessOptions | undefined;
  /** Destination registry access (`--dest-*`). */
  dest?: AccessOptions | undefined;
  /** Annotations recorded with the destination name in OCI layouts. */
  annotations?: Record<string, string> | undefined;
  /**
   * Signature policy, carrying and signing (`--policy`, `--remove-signatures`,
   * `--sign-by`, …), or a session shared with other copies. By default the
   * user's containers policy is enforced and signatures travel.
   */
  signatures?: SignatureOptions | SignatureSession | undefined;
  signal?: AbortSignal | undefined;
  onEvent?: CopyEventListener | undefined;
}

/** A copy's result with what happened to signatures, per manifest written. */
export type CopyResult = SignedCopyResult;

/** Turns `--all` / `--platform` into the engine's selection. */
export function instanceSelection(all: boolean | undefined, platforms: CopyOptions['platforms']): InstanceSelection {
  if (all) return { mode: 'all' };
  if (platforms && platforms.length > 0) {
    return { mode: 'platforms', platforms: platforms.map((p) => (typeof p === 'string' ? parsePlatform(p) : p)) };
  }
  return { mode: 'system' };
}

/**
 * Copies one image between any two transports (`docker://`, `oci:`, …), as
 * `skopeo copy` does, byte for byte and verified.
 *
 * @example await copy('docker://registry.example/app:1.0', 'oci:/srv/mirror:app:1.0', { all: true })
 */
export async function copy(source: string, destination: string, options: CopyOptions = {}): Promise<CopyResult> {
  const retry = retryPolicy(options.retryTimes);
  const sourceRef = parseTransportRef(source);
  const destinationRef = parseTransportRef(destination);
  return withSignatureSession(options.signatures, async (session) => {
    const opened = new OpenSession({
      onRetry: (e) => options.onEvent?.({ type: 'retry', what: e.error.http?.url ?? 'request', attempt: e.attempt, delayMs: e.delayMs, reason: e.error.message }),
    });
    try {
      const src = { ...(await openImage(sourceRef, { role: 'source', access: { retry, ...options.src }, session: opened, tlsFlag: '--src-tls-verify', signal: options.signal })), transportRef: sourceRef };
      try {
        const dst = { ...(await openImage(destinationRef, { role: 'destination', access: { retry, ...options.dest }, session: opened, tlsFlag: '--dest-tls-verify', signal: options.signal })), transportRef: destinationRef };
        try {
          return await copySigned(session, {
            source: src,
            destination: dst,
            instances: instanceSelection(options.all, options.platforms),
            preserveDigests: options.preserveDigests,
            annotations: options.annotations,
            jobs: options.jobs,
            retry,
            signal: options.signal,
            onEvent: options.onEvent,
          }).catch((error: unknown) => {
            // A refusal says which side and which image, not which blob.
            throw attributeAccessFailure(error, { source: src, destination: dst });
          });
        } finally {
          await dst.repository.close();
        }
      } finally {
        await src.repository.close();
      }
    } finally {
      await opened.close();
    }
  });
}
