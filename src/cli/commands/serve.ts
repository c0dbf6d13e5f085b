import { Option, type Command } from 'commander';
import type { CommandContext } from '../context.ts';

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
    .action(async (opts: Record<string, unknown>) => {
      const { startServer, defaultStorageDir } = await import('../../server/index.ts');
      const storage = (opts['storage'] as string | undefined) ?? defaultStorageDir();
      const server = await startServer({
        addr: opts['addr'] as string,
        storage,
        readOnly: opts['readOnly'] === true,
        enableDelete: opts['enableDelete'] === true,
        htpasswd: opts['htpasswd'] as string | undefined,
        tlsCert: opts['tlsCert'] as string | undefined,
        tlsKey: opts['tlsKey'] as string | undefined,
        logFormat: opts['logFormat'] as 'text' | 'json',
        signal: ctx.signal,
        onLog: (line) => void process.stderr.write(`${line}\n`),
      });
      ctx.output.info(`ferry serve: ${storage} at ${server.url}${opts['readOnly'] ? ' (read-only)' : ''}; Ctrl-C stops`);
      await server.closed;
      ctx.output.info('ferry serve: stopped');
    });
}
