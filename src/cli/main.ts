import { subscribe } from 'node:diagnostics_channel';
import { Command, CommanderError } from 'commander';
import { httpChannel, type HttpDebugMessage } from '../transports/registry/registry-client.ts';
import type { CommandContext, CommandModule } from './context.ts';
import { createOutput, describeError, exitCodeFor, EXIT, type OutputMode } from './output.ts';
import { copyCommand } from './commands/copy.ts';
import { inspectCommand } from './commands/inspect.ts';
import { listTagsCommand } from './commands/list-tags.ts';
import { deleteCommand } from './commands/delete.ts';
import { loginCommand, logoutCommand } from './commands/login.ts';
import { manifestDigestCommand } from './commands/manifest-digest.ts';

const COMMANDS: CommandModule[] = [copyCommand, inspectCommand, listTagsCommand, deleteCommand, loginCommand, logoutCommand, manifestDigestCommand];

function modeFrom(argv: string[]): OutputMode {
  return {
    quiet: argv.includes('-q') || argv.includes('--quiet'),
    json: argv.includes('--json'),
    debug: argv.includes('--debug'),
    tty: process.stderr.isTTY === true,
  };
}

export async function main(argv: string[]): Promise<number> {
  const mode = modeFrom(argv);
  const output = createOutput(mode);
  const controller = new AbortController();
  let exitCode: number = EXIT.ok;
  const onSignal = (name: string) => () => {
    if (controller.signal.aborted) process.exit(130);
    output.info(`ferry: ${name} received, stopping (again to force)`);
    controller.abort();
  };
  process.once('SIGINT', onSignal('SIGINT'));
  process.once('SIGTERM', onSignal('SIGTERM'));
  if (mode.debug) {
    subscribe(httpChannel.name, (message) => {
      const m = message as HttpDebugMessage;
      process.stderr.write(`debug: ${m.method} ${m.url} → ${m.status ?? m.error} (${m.durationMs} ms)\n`);
    });
  }
  const ctx: CommandContext = { output, signal: controller.signal, setExitCode: (code) => void (exitCode = Math.max(exitCode, code)) };
  const program = new Command('ferry')
    .description('Move container images between registries, directories, archives and air-gapped sites.')
    .version('0.1.0')
    .option('-q, --quiet', 'print only results and errors')
    .option('--json', 'print machine-readable events and results (one JSON object per line)')
    .option('--debug', 'show HTTP requests (secrets redacted) and error causes')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  for (const register of COMMANDS) register(program, ctx);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed usage errors.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (controller.signal.aborted) {
      process.stderr.write('ferry: cancelled\n');
      return 130;
    }
    process.stderr.write(`${describeError(err, mode.debug)}\n`);
    return exitCodeFor(err);
  }
  return exitCode;
}

process.exitCode = await main(process.argv.slice(2));
