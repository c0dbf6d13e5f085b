import type { KeyObject } from 'node:crypto';
import { FerryError } from '../errors.ts';
import type { Digest } from '../oci/digest.ts';
import { formatReference, parseReference, type ImageReference } from '../ref/reference.ts';
import { gpgSign } from './simple-signing/gpg.ts';
import { ATOMIC_SIGNATURE_TYPE, COSIGN_SIGNATURE_TYPE, buildPayload } from './simple-signing/payload.ts';
import { readSmallFile } from '../util/regular-file.ts';
import { firstLine } from '../util/secret-file.ts';
import { signSigstore, type SigstoreSignature } from './sigstore/sigstore-signature.ts';

/** Written into `optional.creator` of every signature ferry makes. */
export const SIGNATURE_CREATOR = 'ferry 0.1.0';
/** A passphrase file holds one line; more is not a passphrase. */
const MAX_PASSPHRASE_BYTES = 64 * 1024;
/** An encrypted cosign key is under a KiB. */
const MAX_PRIVATE_KEY_BYTES = 64 * 1024;

export interface SigningOptions {
  /** `--sign-by FINGERPRINT`: GPG simple signing with the user's key. */
  signBy?: string | undefined;
  /** `--sign-by-sigstore-private-key FILE`: a cosign private key. */
  signBySigstorePrivateKey?: string | undefined;
  /** `--sign-passphrase-file FILE`: the passphrase of either key (first line). */
  signPassphraseFile?: string | undefined;
  /** `--sign-identity REF`: the identity to sign for instead of the destination reference. */
  signIdentity?: string | undefined;
  /** Environment for gpg (GNUPGHOME). */
  env?: NodeJS.ProcessEnv | undefined;
}

/** Reads a passphrase file: its first line, without the line break (as skopeo). */
export async function readPassphrase(path: string): Promise<Buffer> {
  return firstLine(await readSmallFile(path, { what: 'passphrase file', maxBytes: MAX_PASSPHRASE_BYTES, missingCode: 'INVALID_CONFIG' }));
}

/**
 * The keys to sign with, prepared before anything is copied so a wrong
 * passphrase or key fails first: the cosign key is decrypted here.
 */
export class Signer {
  readonly gpgFingerprint: string | undefined;
  private readonly sigstoreKey: KeyObject | undefined;
  private readonly options: SigningOptions;
  readonly identity: ImageReference | undefined;

  private constructor(options: SigningOptions, sigstoreKey: KeyObject | undefined, identity: ImageReference | undefined) {
    this.options = options;
    this.gpgFingerprint = options.signBy;
    this.sigstoreKey = sigstoreKey;
    this.identity = identity;
  }

  /** Undefined when no signing was asked for. Tries the GPG key once and decrypts the cosign key, so their problems surface first. */
  static async prepare(options: SigningOptions): Promise<Signer | undefined> {
    if (options.signBy === undefined && options.signBySigstorePrivateKey === undefined) {
      if (options.signIdentity !== undefined) throw new FerryError('USAGE', '--sign-identity needs --sign-by or --sign-by-sigstore-private-key');
      return undefined;
    }
    let identity: ImageReference | undefined;
    if (options.signIdentity !== undefined) {
      identity = parseReference(options.signIdentity);
      if (identity.tag === undefined && identity.digest === undefined) {
        throw new FerryError('USAGE', `--sign-identity ${options.signIdentity}: must be a fully specified reference with a tag or digest`);
      }
    }
    let key: KeyObject | undefined;
    if (options.signBySigstorePrivateKey !== undefined) {
      const path = options.signBySigstorePrivateKey;
      const text = (await readSmallFile(path, { what: 'sigstore private key', maxBytes: MAX_PRIVATE_KEY_BYTES, missingCode: 'INVALID_CONFIG' })).toString('utf8');
      const passphrase = options.signPassphraseFile !== undefined ? await readPassphrase(options.signPassphraseFile) : Buffer.alloc(0);
      // The key format (zod, scrypt, NaCl) loads only for a run that signs with a cosign key.
      const { decryptCosignKey } = await import('./sigstore/cosign-key.ts');
      key = await decryptCosignKey(text, passphrase, path);
    }
    const signer = new Signer(options, key, identity);
    // A missing secret key or a wrong passphrase should fail before anything is copied, not after.
    if (options.signBy !== undefined) await gpgSign(Buffer.from('ferry: signing key check'), options.signBy, { passphraseFile: options.signPassphraseFile, env: options.env });
    return signer;
  }

  /** The identity signatures of an image written as `destination` claim: --sign-identity, else the destination reference. */
  identityFor(destination: ImageReference | undefined, where: string): ImageReference {
    const identity = this.identity ?? destination;
    if (identity === undefined) {
      throw new FerryError('USAGE', `cannot sign ${where}: it has no registry identity`, { hint: 'give the identity to sign for with --sign-identity REGISTRY/REPO:TAG' });
    }
    return identity;
  }

  /** A GPG simple signing signature of `digest` for `identity`, when --sign-by was given. */
  async gpg(digest: Digest, identity: ImageReference, signal: AbortSignal | undefined): Promise<Uint8Array | undefined> {
    if (this.gpgFingerprint === undefined) return undefined;
    const payload = buildPayload(ATOMIC_SIGNATURE_TYPE, formatReference(identity), digest, SIGNATURE_CREATOR, Math.floor(Date.now() / 1000));
    return gpgSign(payload, this.gpgFingerprint, { passphraseFile: this.options.signPassphraseFile, env: this.options.env, signal });
  }

  /** A cosign signature of `digest` for `identity`, when --sign-by-sigstore-private-key was given. */
  /** Whether a cosign key was given. */
  get signsSigstore(): boolean {
    return this.sigstoreKey !== undefined;
  }

  sigstore(digest: Digest, identity: ImageReference): SigstoreSignature | undefined {
    if (this.sigstoreKey === undefined) return undefined;
    const payload = buildPayload(COSIGN_SIGNATURE_TYPE, formatReference(identity), digest, SIGNATURE_CREATOR, Math.floor(Date.now() / 1000));
    return signSigstore(payload, this.sigstoreKey);
  }
}
