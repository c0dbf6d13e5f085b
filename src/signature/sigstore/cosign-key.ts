import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, type KeyObject } from 'node:crypto';
import { secretbox } from '@noble/ciphers/salsa.js';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';

/**
 * cosign's encrypted private key format (go-securesystemslib "encrypted"):
 * a PEM block `ENCRYPTED SIGSTORE PRIVATE KEY` (or the older `ENCRYPTED
 * COSIGN PRIVATE KEY`) whose body is JSON:
 * `{"kdf": {"name": "scrypt", "params": {"N", "r", "p"}, "salt"},
 *   "cipher": {"name": "nacl/secretbox", "nonce"}, "ciphertext"}` (byte
 * fields base64). The plaintext is the PKCS#8 DER private key.
 */

export const SIGSTORE_KEY_PEM = 'ENCRYPTED SIGSTORE PRIVATE KEY';
export const COSIGN_KEY_PEM = 'ENCRYPTED COSIGN PRIVATE KEY';

/** cosign's first scrypt cost, which every cosign version reads; newer ones also accept 2^16 and 2^17. */
const SCRYPT_N = 32768;
const ACCEPTED_N = new Set([32768, 65536, 131072]);
const SCRYPT_R = 8;
const SCRYPT_P = 1;
const SALT_BYTES = 32;
const NONCE_BYTES = 24;
const KEY_BYTES = 32;

const bytes = z.string().transform((s, ctx) => {
  const b = Buffer.from(s, 'base64');
  if (b.toString('base64').replace(/=+$/, '') !== s.replace(/=+$/, '')) ctx.addIssue({ code: 'custom', message: 'not base64' });
  return b;
});

const encryptedSchema = z.object({
  kdf: z.object({
    name: z.literal('scrypt'),
    params: z.object({ N: z.number().int(), r: z.number().int(), p: z.number().int() }),
    salt: bytes,
  }),
  cipher: z.object({ name: z.literal('nacl/secretbox'), nonce: bytes }),
  ciphertext: bytes,
});

function deriveKey(passphrase: Uint8Array, salt: Uint8Array, N: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // maxmem above 128·N·r, which is exactly Node's default for N = 2^15.
    scrypt(passphrase, salt, KEY_BYTES, { N, r: SCRYPT_R, p: SCRYPT_P, maxmem: 256 * N * SCRYPT_R }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** The body of the first PEM block of `type` (or of any of `types`). */
export function pemBody(text: string, types: readonly string[]): { type: string; body: Buffer } | undefined {
  for (const match of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)) {
    if (types.includes(match[1]!)) return { type: match[1]!, body: Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64') };
  }
  return undefined;
}

function pem(type: string, body: Uint8Array): string {
  const lines = Buffer.from(body).toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${type}-----\n${lines.join('\n')}\n-----END ${type}-----\n`;
}

/**
 * Decrypts a cosign private key file's text with its passphrase.
 *
 * @throws FerryError `INVALID_CONFIG` for a file that is not such a key, a wrong passphrase, or unsupported parameters.
 */
export async function decryptCosignKey(text: string, passphrase: Uint8Array, where: string): Promise<KeyObject> {
  const block = pemBody(text, [SIGSTORE_KEY_PEM, COSIGN_KEY_PEM]);
  if (!block) throw new FerryError('INVALID_CONFIG', `${where} is not a cosign private key (no ${SIGSTORE_KEY_PEM} or ${COSIGN_KEY_PEM} PEM block)`);
  let json: unknown;
  try {
    json = JSON.parse(block.body.toString('utf8'));
  } catch {
    throw new FerryError('INVALID_CONFIG', `${where}: the key block is not cosign's encrypted JSON`);
  }
  const parsed = encryptedSchema.safeParse(json);
  if (!parsed.success) throw new FerryError('INVALID_CONFIG', `${where}: unsupported encrypted key format (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  const { kdf, cipher, ciphertext } = parsed.data;
  // Bounded parameters: an altered file must not make us spend unbounded memory (cosign checks the same).
  if (!ACCEPTED_N.has(kdf.params.N) || kdf.params.r !== SCRYPT_R || kdf.params.p !== SCRYPT_P) {
    throw new FerryError('INVALID_CONFIG', `${where}: unsupported scrypt parameters N=${kdf.params.N} r=${kdf.params.r} p=${kdf.params.p}`);
  }
  if (cipher.nonce.length !== NONCE_BYTES) throw new FerryError('INVALID_CONFIG', `${where}: the secretbox nonce is not ${NONCE_BYTES} bytes`);
  const key = await deriveKey(passphrase, kdf.salt, kdf.params.N);
  let der: Uint8Array;
  try {
    der = secretbox(key, cipher.nonce).open(ciphertext);
  } catch {
    throw new FerryError('INVALID_CONFIG', `${where}: cannot decrypt the private key (wrong passphrase?)`, { hint: 'check --sign-passphrase-file' });
  }
  try {
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', `${where}: the decrypted key is not a PKCS#8 private key`, { cause: error });
  }
}

/** Encrypts a private key in cosign's format (PEM text). */
export async function encryptCosignKey(privateKey: KeyObject, passphrase: Uint8Array): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const key = await deriveKey(passphrase, salt, SCRYPT_N);
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  const ciphertext = secretbox(key, nonce).seal(der);
  const body = {
    kdf: { name: 'scrypt', params: { N: SCRYPT_N, r: SCRYPT_R, p: SCRYPT_P }, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  };
  return pem(SIGSTORE_KEY_PEM, Buffer.from(JSON.stringify(body)));
}

/** A new ECDSA P-256 key pair, as `cosign generate-key-pair` makes: the encrypted private key and the public key, both PEM. */
export async function generateCosignKeyPair(passphrase: Uint8Array): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { privateKeyPem: await encryptCosignKey(privateKey, passphrase), publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
}

/** The public half of a private key, PEM (SPKI), as cosign writes `cosign.pub`. */
export function publicKeyPem(privateKey: KeyObject): string {
  return createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }).toString();
}
