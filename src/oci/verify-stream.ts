import { Transform, type TransformCallback } from 'node:stream';
import { FerryError } from '../errors.ts';
import type { Descriptor } from '../oci/descriptor.ts';
import { createDigester, digestAlgorithm } from '../oci/digest.ts';

/**
 * A pass-through that hashes and counts a blob while it streams and fails when
 * it does not match its descriptor. The last chunk is held back until the
 * digest is confirmed, so a consumer (an HTTP upload with a Content-Length, a
 * file about to be renamed) never receives the complete bytes of bad content:
 * the final byte only arrives after verification.
 */
export function verifyingStream(descriptor: Descriptor, options: { where: string }): Transform {
  const hash = createDigester(digestAlgorithm(descriptor.digest));
  let seen = 0;
  let pending: Buffer | undefined;
  const fail = (code: 'SIZE_MISMATCH' | 'DIGEST_MISMATCH', detail: string): FerryError =>
    new FerryError(code, `${options.where}: ${detail}; the blob was discarded`, {
      hint: 'the source is corrupt or changed while copying; nothing that references this blob was written',
    });
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > descriptor.size) {
        callback(fail('SIZE_MISMATCH', `more than the expected ${descriptor.size} bytes`));
        return;
      }
      hash.update(chunk);
      const previous = pending;
      pending = chunk;
      callback(null, previous);
    },
    flush(callback: TransformCallback) {
      if (seen !== descriptor.size) {
        callback(fail('SIZE_MISMATCH', `got ${seen} bytes, expected ${descriptor.size}`));
        return;
      }
      const actual = `${digestAlgorithm(descriptor.digest)}:${hash.digest('hex')}`;
      if (actual !== descriptor.digest) {
        callback(fail('DIGEST_MISMATCH', `content hashes to ${actual}, expected ${descriptor.digest}`));
        return;
      }
      callback(null, pending);
    },
  });
}
