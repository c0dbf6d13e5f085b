import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AfterHook } from './cleanup.ts';
import { peerPath } from './peers.ts';
import { runChild } from './run-child.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * GnuPG as a peer: a private GNUPGHOME with freshly generated signing keys,
 * for skopeo (`--sign-by`) and ferry to sign with, and their public keys
 * exported as keyring files a policy can name. The agent it starts is
 * stopped when the test ends.
 */

/** Key generation on a loaded 2-core box takes well under this. */
const GPG_TIMEOUT_MS = 60_000;

export interface GpgKey {
  fingerprint: string;
  /** Binary keyring file with the public key (`gpg --export`). */
  publicKeyFile: string;
  /** The same key ASCII-armored (`gpg --export --armor`). */
  armoredKeyFile: string;
  /** Passphrase file for keys made with one. */
  passphraseFile?: string | undefined;
}

export interface GpgHome {
  /** The GNUPGHOME directory: pass it in the environment of gpg, skopeo and ferry. */
  home: string;
  env: Record<string, string>;
  /** Generates an Ed25519 signing key, optionally protected by a passphrase. */
  generateKey(name: string, passphrase?: string): Promise<GpgKey>;
  /** Stops the agent and removes the directory (done after `t` when one was given). */
  dispose(): Promise<void>;
}

async function gpg(home: string, args: string[]): Promise<string> {
  const result = await runChild(peerPath('gpg'), ['--homedir', home, '--batch', ...args], { env: { ...process.env, GNUPGHOME: home }, timeoutMs: GPG_TIMEOUT_MS });
  if (result.code !== 0) throw new Error(`gpg ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout.toString('utf8');
}

/** A new GNUPGHOME, removed (agent stopped first) after the test `t`, or by `dispose()`. */
export async function gpgHome(t?: AfterHook): Promise<GpgHome> {
  const dir = await tempDir('ferry-gpg');
  const home = join(dir, 'home');
  await mkdir(home);
  await chmod(home, 0o700);
  const dispose = async (): Promise<void> => {
    await runChild(peerPath('gpgconf'), ['--homedir', home, '--kill', 'all'], { env: process.env, timeoutMs: GPG_TIMEOUT_MS }).catch(() => undefined);
    await removeTempDir(dir);
  };
  t?.after(dispose);
  return {
    home,
    env: { GNUPGHOME: home },
    dispose,
    async generateKey(name, passphrase) {
      await gpg(home, ['--passphrase', passphrase ?? '', '--pinentry-mode', 'loopback', '--quick-gen-key', `${name} <${name}@example.com>`, 'ed25519', 'sign', 'never']);
      const colons = await gpg(home, ['--with-colons', '--list-keys', `${name}@example.com`]);
      const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
      if (fingerprint === undefined) throw new Error(`no fingerprint for ${name} in:\n${colons}`);
      const publicKeyFile = join(dir, `${name}.gpg`);
      const armoredKeyFile = join(dir, `${name}.asc`);
      const exported = await runChild(peerPath('gpg'), ['--homedir', home, '--batch', '--export', fingerprint], { env: process.env, timeoutMs: GPG_TIMEOUT_MS });
      await writeFile(publicKeyFile, exported.stdout);
      await writeFile(armoredKeyFile, await gpg(home, ['--export', '--armor', fingerprint]));
      let passphraseFile: string | undefined;
      if (passphrase !== undefined) {
        passphraseFile = join(dir, `${name}.pass`);
        await writeFile(passphraseFile, `${passphrase}\n`, { mode: 0o600 });
      }
      return { fingerprint, publicKeyFile, armoredKeyFile, passphraseFile };
    },
  };
}
