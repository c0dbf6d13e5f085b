import { channel } from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` channels ferry publishes on for `--debug`.
 * Nothing is formatted unless someone listens; the CLI subscribes by name.
 */

/** One message per HTTP exchange ({@link HttpDebugMessage}): URLs redacted, no headers with secrets. */
export const HTTP_DEBUG_CHANNEL = 'ferry:http';

/** One string per message: which policy, registries.d and signature locations were used and why; never key material or passphrases. */
export const SIGNATURE_DEBUG_CHANNEL = 'ferry:signature';

/** What the registry client publishes per request (secrets already removed from `url`). */
export interface HttpDebugMessage {
  method: string;
  url: string;
  status?: number | undefined;
  error?: string | undefined;
  durationMs: number;
  /** The answer says the rate limit is spent (429, `RateLimit-Remaining: 0`); `waitMs` when it said for how long. */
  rateLimited?: boolean | undefined;
  waitMs?: number | undefined;
}

export const httpChannel = channel(HTTP_DEBUG_CHANNEL);
export const signatureChannel = channel(SIGNATURE_DEBUG_CHANNEL);

/** Publishes one signature debug line when someone listens. */
export function signatureDebug(message: string): void {
  if (signatureChannel.hasSubscribers) signatureChannel.publish(message);
}
