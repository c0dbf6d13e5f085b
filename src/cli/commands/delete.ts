import type { Command } from 'commander';
import { deleteImage } from '../../api/delete.ts';
import type { CommandContext } from '../context.ts';
import { accessFrom, addAccessFlags } from '../registry-flags.ts';

export function deleteCommand(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('delete')
    .description('Delete an image (the manifest a tag or digest points at)')
    .argument('<image>', 'e.g. docker://registry.example/app:1.0')
    .option('--authfile <FILE>', 'auth file to read credentials from');
  addAccessFlags(cmd, '');
  cmd.action(async (image: string, opts: Record<string, unknown>) => {
    await deleteImage(image, { access: accessFrom(opts, '', { authFile: opts['authfile'] as string | undefined }), signal: ctx.signal });
    ctx.output.info(`Deleted ${image}`);
  });
}
