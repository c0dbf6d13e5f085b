import { Option, type Command } from 'commander';
import type { SignatureOptions } from '../signature/signature-session.ts';

/**
 * The trust flags. `--policy`, `--insecure-policy` and `--registries.d` are
 * global, as in skopeo, and accepted before or after the command.
 */
export function addGlobalSignatureFlags(program: Command): Command {
  return program
    .addOption(new Option('--policy <FILE>', 'signature policy (default: ~/.config/containers/policy.json, then /etc/containers/policy.json)'))
    .addOption(new Option('--insecure-policy', 'accept any image, without reading a signature policy'))
    .addOption(new Option('--registries.d <DIR>', 'registries.d directory: where simple signing signatures are looked up and stored'));
}

/** Flags of commands that write images: carrying and making signatures. */
export function addSigningFlags(command: Command): Command {
  return command
    .option('--remove-signatures', 'do not copy signatures, attestations or SBOMs of the source')
    .option('--sign-by <FINGERPRINT>', 'sign the image with this GPG key (simple signing, stored in the lookaside)')
    .option('--sign-by-sigstore-private-key <FILE>', 'sign the image with this cosign private key (a sha256-<digest>.sig tag)')
    .option('--sign-passphrase-file <FILE>', 'the passphrase of the signing key (first line of FILE)')
    .option('--sign-identity <REF>', 'identity to sign for (default: the destination reference)');
}

/** Signature options from a command's flags and the global ones. */
export function signatureOptionsFrom(command: Command): SignatureOptions {
  const o = command.optsWithGlobals<Record<string, unknown>>();
  const str = (key: string): string | undefined => (typeof o[key] === 'string' ? (o[key] as string) : undefined);
  return {
    policyPath: str('policy'),
    insecurePolicy: o['insecurePolicy'] === true,
    registriesDir: str('registries.d'),
    removeSignatures: o['removeSignatures'] === true,
    signBy: str('signBy'),
    signBySigstorePrivateKey: str('signBySigstorePrivateKey'),
    signPassphraseFile: str('signPassphraseFile'),
    signIdentity: str('signIdentity'),
  };
}
