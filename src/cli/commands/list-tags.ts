import { Option, type Command } from 'commander';
import { listTags } from '../../api/tags.ts';
import type { CommandContext } from '../context.ts';
import { accessFrom, addAccessFlags, parsePositiveInt } from '../registry-flags.ts';

export function listTagsCommand(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('list-tags')
    .description('List the tags of a repository (docker://REPO) or the names in an OCI layout (oci:PATH)')
    .argument('<repository>', 'e.g. docker://registry.example/team/app')
    .option('--authfile <FILE>', 'auth file to read credentials from')
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')));
  addAccessFlags(cmd, '');
  cmd.action(async (repository: string, opts: Record<string, unknown>) => {
    const access = accessFrom(opts, '', { authFile: opts['authfile'] as string | undefined, retryTimes: opts['retryTimes'] as number | undefined });
    const result = await listTags(repository, { access, signal: ctx.signal });
    ctx.output.out(JSON.stringify(result, null, 4));
  });
}
