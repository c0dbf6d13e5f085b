import type { Command } from 'commander';
import { inspect, inspectConfig, inspectRaw } from '../../api/inspect.ts';
import { formatInspect } from '../../api/inspect-format.ts';
import { FerryError } from '../../errors.ts';
import type { CommandContext } from '../context.ts';
import { accessFrom, addAccessFlags, addDaemonHostFlag, parsePositiveInt } from '../registry-flags.ts';
import { Option } from 'commander';

export function inspectCommand(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('inspect')
    .description('Describe an image (JSON like skopeo inspect)')
    .argument('<image>', 'e.g. docker://registry.example/app:1.0 or oci:/srv/mirror:app:1.0')
    .option('--raw', 'print the manifest (or with --config, the config) exactly as stored')
    .option('--config', 'print the image configuration')
    .option('-f, --format <TEMPLATE>', 'print with a Go template, e.g. {{.Digest}}, {{json .Labels}}, {{range .RepoTags}}{{.}} {{end}}')
    .option('-n, --no-tags', 'do not list the repository tags')
    .option('--platform <os/arch[/variant]>', 'which instance of a multi-platform image to describe')
    .option('--authfile <FILE>', 'auth file to read credentials from')
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')));
  addAccessFlags(cmd, '');
  addDaemonHostFlag(cmd, '');
  cmd.action(async (image: string, opts: Record<string, unknown>) => {
    const access = accessFrom(opts, '', { authFile: opts['authfile'] as string | undefined, retryTimes: opts['retryTimes'] as number | undefined });
    const base = { access, signal: ctx.signal, platform: opts['platform'] as string | undefined };
    const format = opts['format'] as string | undefined;
    if (format !== undefined && (opts['raw'] || opts['config'])) throw new FerryError('USAGE', '--format cannot be combined with --raw or --config');
    if (opts['config']) {
      const config = await inspectConfig(image, base);
      ctx.output.out(opts['raw'] ? config.toString('utf8') : JSON.stringify(JSON.parse(config.toString('utf8')), null, 4));
      return;
    }
    if (opts['raw']) {
      const raw = await inspectRaw(image, base);
      process.stdout.write(raw.bytes);
      return;
    }
    const result = await inspect(image, { ...base, noTags: opts['tags'] === false });
    if (format !== undefined) process.stdout.write(formatInspect(result, format));
    else ctx.output.out(JSON.stringify(result, null, 4));
  });
}
