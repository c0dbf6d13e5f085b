import { readFile, stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { FerryError, throwIfAborted } from '../errors.ts';
import { digestAlgorithm, digestHex, type Digest } from '../oci/digest.ts';
import { readSignatureFiles } from '../signature/lookaside/lookaside.ts';
import { GpgKeyring, gpgVerify } from '../signature/simple-signing/gpg.ts';
import { ATOMIC_SIGNATURE_TYPE, parsePayload } from '../signature/simple-signing/payload.ts';

/**
 * Release signatures: GPG simple-signing signatures of the release image's
 * manifest digest, in a signature store laid out as the cluster-version
 * operator reads it — `<store>/sha256=<hex>/signature-<n>`, n from 1 until
 * the first missing — over http(s):// or file://. Verification is gpgv's,
 * against the given keys only (the simple-signing code of `signature/`).
 */

/** Key files are a few KiB; a keyring of this size is a mistake. */
const MAX_KEY_FILE_BYTES = 1024 * 1024;

/** One signature as read from the store, and what checking it found. */
export interface ReleaseSignature {
  /** The signature bytes exactly as stored. */
  blob: Uint8Array;
  /** Where it was read (credentials removed). */
  location: string;
  /** The primary key fingerprint that signed it, when verified. */
  signer?: string | undefined;
  /** The reference the signer vouches for (`critical.identity.docker-reference`), when verified. */
  identity?: string | undefined;
}

/** `<store>/sha256=<hex>/signature-<n>`. */
export function releaseSignatureUrl(store: URL, digest: Digest, n: number): URL {
  const url = new URL(store.href);
  url.pathname = `${store.pathname.replace(/\/+$/, '')}/${digestAlgorithm(digest)}=${digestHex(digest)}/signature-${n}`;
  return url;
}

/**
 * The store URL of `--release-signature-store`: `http(s)://…`, `file://PATH`
 * (relative to the working directory unless PATH starts with "/"), or a
 * plain path.
 *
 * @throws FerryError `USAGE` for anything else.
 */
export function parseSignatureStore(text: string): URL {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) return pathToFileURL(text);
  // file://DIR is a path relative to the working directory (as oc reads file://), file:///DIR an absolute one.
  if (text.startsWith('file://')) return pathToFileURL(text.slice('file://'.length));
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new FerryError('USAGE', `--release-signature-store "${text}" is not a URL`, { hint: 'e.g. https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release or file:///srv/signatures' });
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new FerryError('USAGE', `--release-signature-store: ${url.protocol}// is not supported; use http://, https:// or file://`);
  }
  return url;
}

/** Every signature of `digest` in the store, in order (none is not an error here). */
export async function readReleaseSignatures(store: URL, digest: Digest, options: { signal?: AbortSignal | undefined } = {}): Promise<ReleaseSignature[]> {
  const found = await readSignatureFiles((n) => releaseSignatureUrl(store, digest, n), 'signature store', options.signal);
  return found.map((f) => ({ blob: f.blob, location: f.location }));
}

/** Reads `--release-key` files (armored or binary GPG public keys). */
export async function readReleaseKeys(files: readonly string[], options: { signal?: AbortSignal | undefined } = {}): Promise<Uint8Array[]> {
  const keys: Uint8Array[] = [];
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new FerryError('USAGE', `--release-key ${file} is not a file`);
      if (info.size > MAX_KEY_FILE_BYTES) throw new FerryError('USAGE', `--release-key ${file} is over ${MAX_KEY_FILE_BYTES} bytes; it is not a key file`);
      keys.push(new Uint8Array(await readFile(file, { signal: options.signal })));
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throwIfAborted(options.signal);
      throw new FerryError('IO', `cannot read --release-key ${file}: ${(error as Error).message}`, { cause: error });
    }
  }
  return keys;
}

/**
 * Verifies every signature against `keys`: each must be a good signature by
 * one of them over an "atomic container signature" payload whose manifest
 * digest is `digest`. One that does not verify fails the whole set, and so
 * does an empty set: a release is only as trusted as all it carries.
 *
 * @throws FerryError `POLICY_DENIED` naming the signature and why.
 */
export async function verifyReleaseSignatures(signatures: readonly ReleaseSignature[], digest: Digest, keys: readonly Uint8Array[], options: { store: string; signal?: AbortSignal | undefined }): Promise<ReleaseSignature[]> {
  if (signatures.length === 0) {
    throw new FerryError('POLICY_DENIED', `no signature of the release ${digest} in ${options.store}`, {
      hint: 'check the store URL (it holds sha256=<hex>/signature-1), or mirror without signatures with --skip-verification',
    });
  }
  const keyring = await GpgKeyring.create(keys);
  try {
    const verified: ReleaseSignature[] = [];
    for (const [i, signature] of signatures.entries()) {
      const deny = (why: string): FerryError =>
        new FerryError('POLICY_DENIED', `release signature ${i + 1} (${signature.location}) of ${digest} does not verify: ${why}; nothing was written`, {
          hint: 'the store or the signature is damaged or not the release publisher\'s; check --release-key and --release-signature-store',
        });
      const checked = await gpgVerify(signature.blob, keyring, { signal: options.signal });
      if (!checked.ok) throw deny(checked.reason);
      const payload = parsePayload(checked.payload, ATOMIC_SIGNATURE_TYPE);
      if ('invalid' in payload) throw deny(payload.invalid);
      if (payload.manifestDigest !== digest) throw deny(`it signs ${payload.manifestDigest}`);
      verified.push({ ...signature, signer: checked.primaryFingerprint, identity: payload.dockerReference });
    }
    return verified;
  } finally {
    await keyring.dispose();
  }
}
