import { channel } from 'node:diagnostics_channel';

/**
 * Published for `--debug`: which policy, registries.d and signature
 * locations were used and why. One string per message; never key material
 * or passphrases.
 */
export const signatureChannel = channel('ferry:signature');

/** Publishes one debug line when someone listens. */
export function signatureDebug(message: string): void {
  if (signatureChannel.hasSubscribers) signatureChannel.publish(message);
}
