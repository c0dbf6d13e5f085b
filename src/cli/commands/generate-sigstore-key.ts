import { readPassphrase } from '../../signature/signing.ts';
import { writeSigstoreKeyPair } from '../../signature/sigstore/key-files.ts';
import type { CommandModule } from '../context.ts';

export const generateSigstoreKeyCommand: CommandModule = (program, ctx) => {
  program
    .command('generate-sigstore-key')
    .description('Generate a cosign-compatible key pair: PREFIX.key (encrypted private key) and PREFIX.pub')
    .requiredOption('--output-prefix <PREFIX>', 'write PREFIX.key and PREFIX.pub (never overwritten)')
    .requiredOption('--passphrase-file <FILE>', 'encrypt the private key with the first line of FILE (an empty file: no passphrase)')
    .action(async (opts) => {
      const files = await writeSigstoreKeyPair(opts.outputPrefix, await readPassphrase(opts.passphraseFile));
      if (ctx.output.mode.json) ctx.output.record({ result: files });
      else ctx.output.out(`Key pair written: ${files.privateKey} (private, encrypted) and ${files.publicKey} (public)`);
    });
};
