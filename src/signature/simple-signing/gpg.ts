import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../errors.ts';
import { runProgram, type ProgramResult } from '../../util/run-program.ts';
import { MAX_SIGNATURE_BYTES } from './payload.ts';

/**
 * Simple signing through the user's GnuPG: `gpg` signs with the user's
 * secret keys (GNUPGHOME), `gpgv` verifies against keyring files written
 * for the policy's keys only, so no other key the user trusts can vouch for
 * an image.
 */

/** gpg may wait for an agent or a smartcard; this ends a hung one. */
const GPG_TIMEOUT_MS = 60_000;

const ARMOR_RE = /-----BEGIN PGP [A-Z ]+-----\r?\n(?:[^\r\n]+\r?\n)*?\r?\n([A-Za-z0-9+/=\r\n]+?)(?:\r?\n=[A-Za-z0-9+/]{4})?\r?\n-----END PGP [A-Z ]+-----/g;

/** Binary OpenPGP data from armored (ASCII) input; binary input is returned as is. */
export function dearmor(data: Uint8Array): Uint8Array {
  const text = Buffer.from(data).toString('latin1');
  if (!text.includes('-----BEGIN PGP ')) return data;
  const parts: Buffer[] = [];
  for (const match of text.matchAll(ARMOR_RE)) parts.push(Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64'));
  if (parts.length === 0) throw new FerryError('INVALID_CONFIG', 'an armored GPG key block could not be read');
  return Buffer.concat(parts);
}

/** Keyring files for gpgv, one per key source, in a private temporary directory. */
export class GpgKeyring {
  readonly dir: string;
  readonly files: readonly string[];

  private constructor(dir: string, files: string[]) {
    this.dir = dir;
    this.files = files;
  }

  /** Writes each key source (armored or binary keyring data) to its own file: keybox files cannot be concatenated. */
  static async create(keys: readonly Uint8Array[]): Promise<GpgKeyring> {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-gpg-'));
    const files: string[] = [];
    try {
      for (const [i, key] of keys.entries()) {
        const file = join(dir, `keyring-${i}.gpg`);
        await writeFile(file, dearmor(key), { mode: 0o600 });
        files.push(file);
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    return new GpgKeyring(dir, files);
  }

  async dispose(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** A verified signature: the signed bytes and the key that signed them. */
export type GpgVerification =
  | { ok: true; payload: Uint8Array; fingerprint: string; primaryFingerprint: string }
  | { ok: false; reason: string; keyId?: string | undefined };

function statusLines(stderr: string): string[][] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('[GNUPG:] '))
    .map((l) => l.slice('[GNUPG:] '.length).trim().split(' '));
}

function programMissing(program: string): FerryError {
  return new FerryError('UNSUPPORTED', `${program} is not installed; it is needed for GPG (simple signing) signatures`, {
    hint: 'install GnuPG (apt-get install gnupg gpgv), or use --remove-signatures / a policy without signedBy',
  });
}

function exited(result: ProgramResult, program: string): Extract<ProgramResult, { kind: 'exited' }> {
  if (result.kind === 'missing') throw programMissing(program);
  if (result.kind === 'timeout') throw new FerryError('UNSUPPORTED', `${program} gave no answer within ${result.ms / 1000} s`, { retryable: true });
  return result;
}

/**
 * Verifies an OpenPGP signed message (a simple signing signature) against
 * the keyring only. Exactly one good signature by a key of the keyring is
 * accepted; expired or revoked keys and bad signatures are not. The payload
 * is returned only when verification succeeded.
 */
export async function gpgVerify(blob: Uint8Array, keyring: GpgKeyring, options: { signal?: AbortSignal | undefined } = {}): Promise<GpgVerification> {
  if (blob.byteLength > MAX_SIGNATURE_BYTES) return { ok: false, reason: `the signature is over ${MAX_SIGNATURE_BYTES} bytes` };
  const args = ['--homedir', keyring.dir, '--status-fd', '2', '--output', '-', ...keyring.files.flatMap((f) => ['--keyring', f]), '-'];
  const result = exited(await runProgram('gpgv', args, { input: blob, timeoutMs: GPG_TIMEOUT_MS, maxOutput: 2 * MAX_SIGNATURE_BYTES, signal: options.signal }), 'gpgv');
  const status = statusLines(result.stderr);
  const find = (keyword: string) => status.filter((s) => s[0] === keyword);
  const errsig = find('ERRSIG')[0];
  const noKey = find('NO_PUBKEY')[0];
  if (find('BADSIG').length > 0) return { ok: false, reason: 'the signature is BAD: the signed data or the signature was altered' };
  if (errsig !== undefined || noKey !== undefined) {
    const keyId = noKey?.[1] ?? errsig?.[1];
    return noKey !== undefined
      ? { ok: false, reason: `signed by key ${keyId}, which is not among the trusted keys`, keyId }
      : { ok: false, reason: 'the signature could not be checked (unsupported algorithm or malformed signature)', keyId };
  }
  for (const bad of ['EXPKEYSIG', 'REVKEYSIG', 'EXPSIG'] as const) {
    const line = find(bad)[0];
    if (line !== undefined) return { ok: false, reason: `signed by key ${line[1]}, which is ${bad === 'REVKEYSIG' ? 'revoked' : 'expired'}`, keyId: line[1] };
  }
  const good = find('GOODSIG');
  const valid = find('VALIDSIG');
  if (find('NEWSIG').length > 1 || good.length > 1) return { ok: false, reason: 'the message holds more than one signature' };
  if (result.code !== 0 || good.length !== 1 || valid.length !== 1) {
    const nodata = find('NODATA').length > 0;
    return { ok: false, reason: nodata ? 'the signature is not an OpenPGP signed message (corrupt or truncated)' : 'the signature did not verify' };
  }
  const fields = valid[0]!;
  return { ok: true, payload: result.stdout, fingerprint: fields[1] ?? '', primaryFingerprint: fields[10] ?? fields[1] ?? '' };
}

/**
 * The signed content and signer key ID of a signature without verifying it
 * (for listing what a signature claims). Undefined when it is unreadable.
 */
export async function gpgInspect(blob: Uint8Array, keyring: GpgKeyring, options: { signal?: AbortSignal | undefined } = {}): Promise<{ payload: Uint8Array; keyId?: string | undefined } | undefined> {
  const args = ['--homedir', keyring.dir, '--status-fd', '2', '--output', '-', '-'];
  const result = exited(await runProgram('gpgv', args, { input: blob, timeoutMs: GPG_TIMEOUT_MS, maxOutput: 2 * MAX_SIGNATURE_BYTES, signal: options.signal }), 'gpgv');
  const status = statusLines(result.stderr);
  if (!status.some((s) => s[0] === 'PLAINTEXT')) return undefined;
  const keyLine = status.find((s) => s[0] === 'ERRSIG' || s[0] === 'NO_PUBKEY' || s[0] === 'GOODSIG');
  return { payload: result.stdout, keyId: keyLine?.[1] };
}

export interface GpgSignOptions {
  /** A file holding the passphrase of the secret key (`--sign-passphrase-file`). */
  passphraseFile?: string | undefined;
  /** Environment for gpg: GNUPGHOME selects the keyring. */
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

/** Signs `payload` with the secret key `fingerprint` of the user's keyring: a binary OpenPGP signed message. */
export async function gpgSign(payload: Uint8Array, fingerprint: string, options: GpgSignOptions = {}): Promise<Uint8Array> {
  const args = ['--batch', '--no-tty', '--sign', '--local-user', fingerprint, '--output', '-'];
  if (options.passphraseFile !== undefined) args.push('--pinentry-mode', 'loopback', '--passphrase-file', options.passphraseFile);
  const result = exited(await runProgram('gpg', args, { input: payload, env: options.env, timeoutMs: GPG_TIMEOUT_MS, maxOutput: MAX_SIGNATURE_BYTES, signal: options.signal }), 'gpg');
  if (result.code !== 0 || result.stdout.byteLength === 0) {
    const why = result.stderr.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('gpg:')).slice(-2).join('; ');
    throw new FerryError('INVALID_CONFIG', `gpg could not sign with key ${fingerprint}${why ? `: ${why}` : ''}`, {
      hint: 'check that the secret key is in the keyring GNUPGHOME points at, and the passphrase (--sign-passphrase-file)',
    });
  }
  return result.stdout;
}
