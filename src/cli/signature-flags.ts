import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import type { SignatureOptions } from '../signature/signature-session.ts';
import { flagGroup, type NoOptions, type OptionsOf } from './typed-options.ts';

/**
 * The trust flags. `--policy`, `--insecure-policy` and `--registries.d` are
 * global, as in skopeo, and accepted before or after the command.
 */
export function addGlobalSignatureFlags<A extends unknown[], O extends OptionValues, G extends OptionValues>(program: Command<A, O, G>) {
  return program
    .addOption(new Option('--policy <FILE>', 'signature policy (default: ~/.config/containers/policy.json, then /etc/containers/policy.json)'))
    .addOption(new Option('--insecure-policy', 'accept any image, without reading a signature policy'))
    .addOption(new Option('--registries.d <DIR>', 'registries.d directory: where simple signing signatures are looked up and stored'));
}

/** The signing flags, on a bare command: their option type is inferred from here. */
const signingFlagsOn = (command: Command<[], NoOptions, NoOptions>) =>
  command
    .option('--remove-signatures', 'do not copy signatures, attestations or SBOMs of the source')
    .option('--sign-by <FINGERPRINT>', 'sign the image with this GPG key (simple signing, stored in the lookaside)')
    .option('--sign-by-sigstore-private-key <FILE>', 'sign the image with this cosign private key (a sha256-<digest>.sig tag)')
    .option('--sign-passphrase-file <FILE>', 'the passphrase of the signing key (first line of FILE)')
    .option('--sign-identity <REF>', 'identity to sign for (default: the destination reference)');

/** The signing flags' values, spelt out (see {@link flagGroup}). */
export type SigningFlags = {
  removeSignatures?: true;
  signBy?: string;
  signBySigstorePrivateKey?: string;
  signPassphraseFile?: string;
  signIdentity?: string;
};

/** Flags of commands that write images: carrying and making signatures. */
export const addSigningFlags = flagGroup<SigningFlags>()(signingFlagsOn, true);

/** The global trust flags' values. */
export type GlobalSignatureFlags = OptionsOf<typeof addGlobalSignatureFlags<[], NoOptions, NoOptions>>;

/** Signature options from the global trust flags and, for commands that write images, the signing flags. */
export function signatureOptionsFrom(opts: GlobalSignatureFlags & Partial<SigningFlags>): SignatureOptions {
  return {
    policyPath: opts.policy,
    insecurePolicy: opts.insecurePolicy === true,
    registriesDir: opts['registries.d'],
    removeSignatures: opts.removeSignatures === true,
    signBy: opts.signBy,
    signBySigstorePrivateKey: opts.signBySigstorePrivateKey,
    signPassphraseFile: opts.signPassphraseFile,
    signIdentity: opts.signIdentity,
  };
}
