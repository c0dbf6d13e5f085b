import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { readSmallFile } from '../util/regular-file.ts';
import { FerryError } from '../errors.ts';

/** PEM certificate chain and key, checked to be usable together. */
export interface ServerTlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** A certificate chain or key is a few KiB; this bounds a path that names something else. */
const MAX_PEM_BYTES = 1024 * 1024;

/** Reads the file of `--tls-cert` or `--tls-key` (`flag`), a regular file of PEM size. */
async function readPem(path: string, flag: string): Promise<Buffer> {
  return readSmallFile(path, { what: flag, maxBytes: MAX_PEM_BYTES, missingCode: 'INVALID_CONFIG' });
}

/** The library's reason without OpenSSL's error-queue prefix (`error:0480006C:PEM routines::`). */
function reason(error: unknown): string {
  return ((error as Error).message ?? String(error)).replace(/^error:[0-9A-F]+:[^:]*:[^:]*:/i, '');
}

/**
 * Reads `--tls-cert` and `--tls-key` and checks each on its own (a PEM
 * certificate, a PEM private key) and then together (the key belongs to the
 * certificate), so a wrong file is named in the error instead of surfacing
 * as an internal error when the server starts.
 */
export async function loadServerTls(certPath: string, keyPath: string): Promise<ServerTlsFiles> {
  const [cert, key] = await Promise.all([readPem(certPath, '--tls-cert'), readPem(keyPath, '--tls-key')]);
  try {
    new X509Certificate(cert);
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `--tls-cert ${certPath} is not a PEM certificate: ${reason(error)}`, {
      hint: 'pass the server certificate (chain) in PEM form, "-----BEGIN CERTIFICATE-----"',
      cause: error,
    });
  }
  try {
    createPrivateKey(key);
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `--tls-key ${keyPath} is not a usable PEM private key: ${reason(error)}`, {
      hint: 'pass the unencrypted private key in PEM form, "-----BEGIN PRIVATE KEY-----"',
      cause: error,
    });
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `--tls-key ${keyPath} does not belong to --tls-cert ${certPath}: ${reason(error)}`, { cause: error });
  }
  return { cert, key };
}
