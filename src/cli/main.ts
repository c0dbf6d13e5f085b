import { subscribe } from 'node:diagnostics_channel';
import { Command, CommanderError } from 'commander';
import { signatureChannel } from '../signature/signature-debug.ts';
import { httpChannel, type HttpDebugMessage } from '../transports/registry/registry-client.ts';
import { normalizeBoolArgs } from './bool-args.ts';
import type { CommandContext, CommandModule } from './context.ts';
import { createOutput, describeError, exitCodeFor, EXIT, type OutputMode } from './output.ts';
import { addGlobalSignatureFlags } from './signature-flags.ts';
/**
 * Command modules by name, loaded on demand: `ferry copy` never loads the
 * YAML, schema and server code of other commands, which keeps start-up time
 * and memory down. Help without a command loads them all.
 */
const COMMANDS: Record<string, () => Promise<CommandModule[]>> = {
  copy: async () => [(await import('./commands/copy.ts')).copyCommand],
  'verify-signatures': async () => [(await import('./commands/verify-signatures.ts')).verifySignaturesCommand],
  'generate-sigstore-key': async () => [(await import('./commands/generate-sigstore-key.ts')).generateSigstoreKeyCommand],
  inspect: async () => [(await import('./commands/inspect.ts')).inspectCommand],
  'list-tags': async () => [(await import('./commands/list-tags.ts')).listTagsCommand],
  delete: async () => [(await import('./commands/delete.ts')).deleteCommand],
  login: async () => [(await import('./commands/login.ts')).loginCommand],
  logout: async () => [(await import('./commands/login.ts')).logoutCommand],
  'manifest-digest': async () => [(await import('./commands/manifest-digest.ts')).manifestDigestCommand],
  serve: async () => [(await import('./commands/serve.ts')).serveCommand],
  sync: async () => [(await import('./commands/sync.ts')).syncCommand],
  k8s: async () => [(await import('./commands/k8s.ts')).k8sCommand],
  verify: async () => [(await import('./commands/verify.ts')).verifyCommand],
  gc: async () => [(await import('./commands/gc.ts')).gcCommand],
  bundle: async () => [(await import('./commands/bundle.ts')).bundleCommand],
  mirror: async () => [(await import('./commands/mirror.ts')).mirrorCommand],
  image: async () => [(await import('./commands/image.ts')).imageCommand],
  release: async () => [(await import('./commands/release.ts')).releaseCommand],
};

/** Global options that take a value: the word after them is not the command. */
const GLOBAL_VALUE_OPTIONS = new Set(['--policy', '--registries.d']);

/** The modules to load for this command line: the named command's, or all of them. */
async function commandModules(argv: string[]): Promise<CommandModule[]> {
  const name = argv.find((a, i) => !a.startsWith('-') && !GLOBAL_VALUE_OPTIONS.has(argv[i - 1] ?? ''));
  if (name === undefined && (argv.includes('--version') || argv.includes('-V'))) return [];
  const loaders = name !== undefined && COMMANDS[name] ? [COMMANDS[name]] : Object.values(COMMANDS);
  return (await Promise.all(loaders.map((load) => load()))).flat();
}

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
    subscribe(signatureChannel.name, (message) => process.stderr.write(`debug: ${String(message)}\n`));
  }
  const ctx: CommandContext = { output, signal: controller.signal, setExitCode: (code) => void (exitCode = Math.max(exitCode, code)) };
  const program = new Command('ferry')
    .description('Move container images between registries, directories, archives and air-gapped sites.')
    .version('0.1.0')
    .option('-q, --quiet', 'print only results and errors')
    .option('--json', 'print machine-readable events and results (one JSON object per line)')
    .option('--debug', 'show HTTP requests (secrets redacted) and error causes')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  addGlobalSignatureFlags(program);
  for (const register of await commandModules(argv)) register(program, ctx);
  program.commands.forEach((c) => c.exitOverride());
  try {
    await program.parseAsync(normalizeBoolArgs(argv, program), { from: 'user' });
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
