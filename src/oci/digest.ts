import { createHash, type Hash } from 'node:crypto';
import { FerryError } from '../errors.ts';

/** A content digest `algorithm:hex`, validated by {@link parseDigest}. */
export type Digest = `${string}:${string}`;

const ALGORITHMS: Record<string, { node: string; hexLength: number }> = {
  sha256: { node: 'sha256', hexLength: 64 },
  sha512: { node: 'sha512', hexLength: 128 },
};

const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;

/** True when `value` is a digest ferry can verify (sha256 or sha512, lowercase hex of the right length). */
export function isDigest(value: string): value is Digest {
  const m = DIGEST_RE.exec(value);
  if (!m) return false;
  const algo = ALGORITHMS[m[1]!];
  return algo !== undefined && m[2]!.length === algo.hexLength && /^[0-9a-f]+$/.test(m[2]!);
}

/** Validates a digest string; `where` names its origin for the error message. */
export function parseDigest(value: string, where = 'digest'): Digest {
  if (isDigest(value)) return value;
  const m = DIGEST_RE.exec(value);
  const why = !m
    ? 'expected "algorithm:hex"'
    : ALGORITHMS[m[1]!] === undefined
      ? `unsupported algorithm "${m[1]}" (sha256 and sha512 are)`
      : `expected ${ALGORITHMS[m[1]!]!.hexLength} lowercase hex characters`;
  throw new FerryError('INVALID_REFERENCE', `invalid ${where} "${value}": ${why}`);
}

export function digestAlgorithm(digest: Digest): string {
  return digest.slice(0, digest.indexOf(':'));
}

export function digestHex(digest: Digest): string {
  return digest.slice(digest.indexOf(':') + 1);
}

/** A hash for the algorithm of `digest` (sha256 for new content). */
export function createDigester(algorithm = 'sha256'): Hash {
  const algo = ALGORITHMS[algorithm];
  if (!algo) throw new FerryError('UNSUPPORTED', `unsupported digest algorithm "${algorithm}"`);
  return createHash(algo.node);
}

/** Digest of bytes held in memory (manifests, configs). */
export function digestOf(data: Uint8Array | string, algorithm = 'sha256'): Digest {
  return `${algorithm}:${createDigester(algorithm).update(data).digest('hex')}`;
}
