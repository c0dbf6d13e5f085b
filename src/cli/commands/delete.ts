import { deleteImage } from '../../api/delete.ts';
import type { CommandModule } from '../context.ts';
import { accessOptionsFrom, addAccessFlags } from '../registry-flags.ts';

export const deleteCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('delete')
    .description('Delete an image (the manifest a tag or digest points at)')
    .argument('<image>', 'e.g. docker://registry.example/app:1.0')
    .option('--authfile <FILE>', 'auth file to read credentials from');
  addAccessFlags(cmd, '').action(async (image, opts) => {
    await deleteImage(image, { access: await accessOptionsFrom(opts, '', { authFile: opts.authfile, signal: ctx.signal }), signal: ctx.signal });
    ctx.output.info(`Deleted ${image}`);
  });
};
