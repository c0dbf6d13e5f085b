import { manifestDigest } from '../../api/manifest-digest.ts';
import type { CommandModule } from '../context.ts';

export const manifestDigestCommand: CommandModule = (program, ctx) => {
  program
    .command('manifest-digest')
    .description('Print the digest of a manifest file')
    .argument('<file>', 'manifest JSON file')
    .action(async (file) => {
      ctx.output.out(await manifestDigest(file));
    });
};
