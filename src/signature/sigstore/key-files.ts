import { open, rm } from 'node:fs/promises';
import { FerryError } from '../../errors.ts';
import { generateCosignKeyPair } from './cosign-key.ts';

/** The files {@link writeSigstoreKeyPair} wrote. */
export interface SigstoreKeyFiles {
  privateKey: string;
  publicKey: string;
}

async function createExclusive(path: string, text: string, mode: number): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'wx', mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new FerryError('USAGE', `${path} already exists; refusing to overwrite it`, { hint: 'choose another --output-prefix' });
    throw new FerryError('IO', `cannot create ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Generates an ECDSA P-256 key pair in cosign's format: `PREFIX.key` (the
 * private key encrypted with `passphrase`, mode 0600) and `PREFIX.pub`.
 * Existing files are never overwritten.
 */
export async function writeSigstoreKeyPair(prefix: string, passphrase: Uint8Array): Promise<SigstoreKeyFiles> {
  const files = { privateKey: `${prefix}.key`, publicKey: `${prefix}.pub` };
  const { privateKeyPem, publicKeyPem } = await generateCosignKeyPair(passphrase);
  await createExclusive(files.privateKey, privateKeyPem, 0o600);
  try {
    await createExclusive(files.publicKey, publicKeyPem, 0o644);
  } catch (error) {
    await rm(files.privateKey, { force: true });
    throw error;
  }
  return files;
}
