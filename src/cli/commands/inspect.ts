import { Option } from '@commander-js/extra-typings';
import { inspect, inspectConfig, inspectRaw } from '../../api/inspect.ts';
import { formatInspect } from '../../api/inspect-format.ts';
import { FerryError } from '../../errors.ts';
import type { CommandModule } from '../context.ts';
import { accessOptionsFrom, addAccessFlags, addDaemonHostFlag, parsePositiveInt } from '../registry-flags.ts';

export const inspectCommand: CommandModule = (program, ctx) => {
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
  addDaemonHostFlag(addAccessFlags(cmd, ''), '').action(async (image, opts) => {
    const access = await accessOptionsFrom(opts, '', { authFile: opts.authfile, retryTimes: opts.retryTimes, daemonHost: opts.daemonHost, signal: ctx.signal });
    const base = { access, signal: ctx.signal, platform: opts.platform };
    if (opts.format !== undefined && (opts.raw || opts.config)) throw new FerryError('USAGE', '--format cannot be combined with --raw or --config');
    if (opts.config) {
      const config = await inspectConfig(image, base);
      ctx.output.out(opts.raw ? config.toString('utf8') : JSON.stringify(JSON.parse(config.toString('utf8')), null, 4));
      return;
    }
    if (opts.raw) {
      const raw = await inspectRaw(image, base);
      process.stdout.write(raw.bytes);
      return;
    }
    const result = await inspect(image, { ...base, noTags: opts.tags === false });
    if (opts.format !== undefined) process.stdout.write(formatInspect(result, opts.format));
    else ctx.output.out(JSON.stringify(result, null, 4));
  });
};
