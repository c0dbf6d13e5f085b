import { Option } from '@commander-js/extra-typings';
import { listTags } from '../../api/tags.ts';
import type { CommandModule } from '../context.ts';
import { accessOptionsFrom, addAccessFlags, parsePositiveInt } from '../registry-flags.ts';

export const listTagsCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('list-tags')
    .description('List the tags of a repository (docker://REPO) or the names in an OCI layout (oci:PATH)')
    .argument('<repository>', 'e.g. docker://registry.example/team/app')
    .option('--authfile <FILE>', 'auth file to read credentials from')
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')));
  addAccessFlags(cmd, '').action(async (repository, opts) => {
    const access = await accessOptionsFrom(opts, '', { authFile: opts.authfile, retryTimes: opts.retryTimes, signal: ctx.signal });
    const result = await listTags(repository, { access, signal: ctx.signal });
    ctx.output.out(JSON.stringify(result, null, 4));
  });
};
