import { subscribe } from 'node:diagnostics_channel';
import { CommanderError } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import type { HttpDebugMessage } from '../util/debug-channels.ts';
import type { CommandContext, CommandModule } from './context.ts';
import { createOutput, exitCodeFor, EXIT, type Output, type OutputMode } from './output.ts';
import { createProgram, normalizeBoolArgs } from './program.ts';

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

/**
 * After the first SIGINT/SIGTERM the run stops on its own (requests aborted,
 * reports written); whatever is still running this long after is ended by
 * force, so one signal always ends ferry within about a second.
 */
const FORCED_EXIT_MS = 800;

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

async function subscribeDebug(): Promise<void> {
  const { HTTP_DEBUG_CHANNEL, SIGNATURE_DEBUG_CHANNEL } = await import('../util/debug-channels.ts');
  subscribe(HTTP_DEBUG_CHANNEL, (message) => {
    const m = message as HttpDebugMessage;
    process.stderr.write(`debug: ${m.method} ${m.url} → ${m.status ?? m.error} (${m.durationMs} ms)\n`);
  });
  subscribe(SIGNATURE_DEBUG_CHANNEL, (message) => process.stderr.write(`debug: ${String(message)}\n`));
}

/**
 * Signals and escaped errors: the first SIGINT/SIGTERM aborts the run; a
 * second one, the grace running out (unless the command stops on a signal
 * by design), or an error nothing caught (a bug) runs the last words
 * (reports) and ends the process.
 */
function installLastResort(output: Output, controller: AbortController): Pick<CommandContext, 'atExit' | 'endsOnSignal'> & { readonly service: boolean } {
  const hooks = new Set<() => void>();
  let service = false;
  const lastWords = (): void => {
    for (const hook of hooks) {
      try {
        hook();
      } catch (error) {
        process.stderr.write(`ferry: while stopping: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    }
    hooks.clear();
  };
  /**
   * Ends the process the way the signal itself would have: the handlers
   * removed, the signal sent again to ourselves. Unlike process.exit this
   * also works while a thread of the pool is stuck (a FIFO opened for
   * reading blocks until a writer comes), and the exit status says which
   * signal ended ferry (130 for SIGINT in a shell).
   */
  const dieBy = (signal: NodeJS.Signals): void => {
    lastWords();
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    process.kill(process.pid, signal);
  };
  const onSignal = (signal: NodeJS.Signals) => (): void => {
    if (controller.signal.aborted) return dieBy(signal);
    output.info(`ferry: ${signal} received, stopping (again to force)`);
    controller.abort();
    if (service) return;
    setTimeout(() => {
      process.stderr.write('ferry: stopped by force: the run did not end in time\n');
      dieBy(signal);
    }, FORCED_EXIT_MS).unref();
  };
  process.on('SIGINT', onSignal('SIGINT'));
  process.on('SIGTERM', onSignal('SIGTERM'));
  const escaped = (error: unknown): void => {
    output.error(error);
    lastWords();
    process.exit(EXIT.failure);
  };
  process.on('uncaughtException', escaped);
  process.on('unhandledRejection', escaped);
  return {
    atExit: (hook) => {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
    endsOnSignal: () => void (service = true),
    get service() {
      return service;
    },
  };
}

export async function main(argv: string[]): Promise<number> {
  const mode = modeFrom(argv);
  const output = createOutput(mode);
  const controller = new AbortController();
  let exitCode: number = EXIT.ok;
  const lastResort = installLastResort(output, controller);
  if (mode.debug) await subscribeDebug();
  const ctx: CommandContext = {
    output,
    signal: controller.signal,
    setExitCode: (code) => void (exitCode = Math.max(exitCode, code)),
    atExit: lastResort.atExit,
    endsOnSignal: lastResort.endsOnSignal,
  };
  try {
    const program = createProgram().configureOutput({
      writeErr: (s) => void process.stderr.write(s),
      writeOut: (s) => void process.stdout.write(s),
      // Under --json a usage error is a record like any other error.
      ...(mode.json ? { outputError: (s: string) => output.error(new FerryError('USAGE', s.trim().replace(/^error: /, ''))) } : {}),
    });
    for (const register of await commandModules(argv)) register(program, ctx);
    program.commands.forEach((c) => c.exitOverride());
    await program.parseAsync(normalizeBoolArgs(argv, program), { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; commander already printed usage errors.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (controller.signal.aborted) {
      if (mode.json) output.error(err);
      else process.stderr.write('ferry: cancelled\n');
      return EXIT.interrupted;
    }
    output.error(err);
    return exitCodeFor(err);
  }
  return controller.signal.aborted && !lastResort.service ? Math.max(exitCode, EXIT.interrupted) : exitCode;
}

process.exitCode = await main(process.argv.slice(2));
