import type { Command } from 'commander';
import { manifestDigest } from '../../api/manifest-digest.ts';
import type { CommandContext } from '../context.ts';

export function manifestDigestCommand(program: Command, ctx: CommandContext): void {
  program
    .command('manifest-digest')
    .description('Print the digest of a manifest file')
    .argument('<file>', 'manifest JSON file')
    .action(async (file: string) => {
      ctx.output.out(await manifestDigest(file));
    });
}
