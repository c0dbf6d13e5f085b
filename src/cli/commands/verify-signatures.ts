import { verifySignatures } from '../../api/verify-signatures.ts';
import type { CommandModule } from '../context.ts';
import { EXIT } from '../output.ts';
import { accessOptionsFrom, addAccessFlags } from '../registry-flags.ts';
import { signatureOptionsFrom } from '../signature-flags.ts';
import { describeVerification } from '../signature-output.ts';

export const verifySignaturesCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('verify-signatures')
    .description('Check an image (docker://, oci:PATH:NAME) or every image of a store (oci:PATH) against the signature policy, without copying')
    .argument('<image>', 'e.g. docker://registry.internal/ns/app:1.0 or oci:/srv/mirror')
    .option('--authfile <FILE>', 'auth file to read credentials from');
  addAccessFlags(cmd, '').action(async (image, opts, command) => {
    const results = await verifySignatures(image, {
      signatures: signatureOptionsFrom(command.optsWithGlobals()),
      access: await accessOptionsFrom(opts, '', { authFile: opts.authfile, signal: ctx.signal }),
      signal: ctx.signal,
    });
    if (ctx.output.mode.json) ctx.output.record({ result: results });
    else for (const result of results) for (const line of describeVerification(result)) ctx.output.out(line);
    if (results.some((r) => !r.allowed)) ctx.setExitCode(EXIT.failure);
  });
};
