import { InvalidArgumentError, Option, type Command } from 'commander';
import type { CommandContext } from '../context.ts';

/** `--ui`, `--ui=true`, `--ui=false` (also yes/no, on/off, 1/0). */
function parseSwitch(value: string | undefined): boolean {
  if (value === undefined) return true;
  const v = value.toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(v)) return true;
  if (['false', 'no', 'off', '0'].includes(v)) return false;
  throw new InvalidArgumentError('expected true or false');
}

export function serveCommand(program: Command, ctx: CommandContext): void {
  program
    .command('serve')
    .description('Serve an OCI layout store (a mirror store, `sync --dest oci`, bundle imports) as an OCI distribution registry')
    .option('--addr <HOST:PORT>', 'address to listen on', '127.0.0.1:5000')
    .option('--storage <DIR>', 'the store to serve; created when missing or empty (default: $XDG_DATA_HOME/ferry/registry)')
    .option('--read-only', 'refuse every write (405 UNSUPPORTED)')
    .option('--enable-delete', 'allow blob DELETE (off by default, as in distribution); manifest and tag DELETE need only a writable server')
    .option('--htpasswd <FILE>', 'require Basic auth against bcrypt entries (htpasswd -B)')
    .option('--tls-cert <FILE>', 'serve HTTPS with this certificate (with --tls-key)')
    .option('--tls-key <FILE>', 'private key for --tls-cert')
    .addOption(new Option('--log-format <FORMAT>', 'access log format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--ui [BOOL]', 'serve the web UI at / (--ui=false turns it off)').argParser(parseSwitch).default(true))
    .action(async (opts: Record<string, unknown>) => {
      const { startServer, defaultStorageDir } = await import('../../server/index.ts');
      const { readBundleHistoryAt } = await import('../../mirror/bundle/bundle-history.ts');
      const storage = (opts['storage'] as string | undefined) ?? defaultStorageDir();
      const ui = opts['ui'] !== false;
      const server = await startServer({
        addr: opts['addr'] as string,
        storage,
        readOnly: opts['readOnly'] === true,
        enableDelete: opts['enableDelete'] === true,
        htpasswd: opts['htpasswd'] as string | undefined,
        tlsCert: opts['tlsCert'] as string | undefined,
        tlsKey: opts['tlsKey'] as string | undefined,
        logFormat: opts['logFormat'] as 'text' | 'json',
        ui,
        // The store's bundle-import record, for the UI's Bundles page (the server layer does not read mirror files).
        imports: { list: (options) => readBundleHistoryAt(storage, options) },
        signal: ctx.signal,
        onLog: (line) => void process.stderr.write(`${line}\n`),
      });
      ctx.output.info(`ferry serve: ${storage} at ${server.url}${opts['readOnly'] ? ' (read-only)' : ''}${ui ? `, web UI at ${server.url}/` : ''}; Ctrl-C stops`);
      await server.closed;
      ctx.output.info('ferry serve: stopped');
    });
}
