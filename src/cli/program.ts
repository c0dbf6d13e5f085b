import { readFileSync } from 'node:fs';
import { Command, type CommandUnknownOpts, type Option } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import { isRecord } from '../util/json.ts';
import { addGlobalSignatureFlags } from './signature-flags.ts';

/**
 * ferry's version, from package.json (beside src/ and dist/ alike): one small
 * synchronous read at start-up, cheaper than importing it as a JSON module.
 */
export function packageVersion(): string {
  try {
    const parsed: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    if (isRecord(parsed) && typeof parsed['version'] === 'string') return parsed['version'];
  } catch (error) {
    throw new FerryError('IO', `cannot read ferry's package.json: ${(error as Error).message}`, { cause: error, hint: 'the installation is damaged; reinstall ferry' });
  }
  throw new FerryError('IO', "ferry's package.json has no version", { hint: 'the installation is damaged; reinstall ferry' });
}

/**
 * The `ferry` program: its global options and version, and how it reads a
 * command line (booleans as skopeo does, below). Commands are added by the
 * command modules.
 */
export function createProgram() {
  const program = new Command('ferry')
    .description('Move container images between registries, directories, archives and air-gapped sites.')
    .version(packageVersion())
    .option('-q, --quiet', 'print only results and errors')
    .option('--json', 'print machine-readable events, results and errors (one JSON object per line, on stdout)')
    .option('--debug', 'show HTTP requests (secrets redacted) and error causes')
    .configureHelp({ showGlobalOptions: true })
    .showHelpAfterError()
    .exitOverride();
  return addGlobalSignatureFlags(program);
}

/** The program as command modules see it: its global option values are typed for `optsWithGlobals()`. */
export type Program = ReturnType<typeof createProgram>;

/**
 * Boolean flags as skopeo (Go's pflag) reads them: a bare flag means true
 * and a value is only taken with `=` (`--tls-verify=false`). commander lets
 * an optional value swallow the next word, so `ferry inspect --tls-verify
 * docker://…` would lose its image; and it rejects `--all=true` for a
 * switch. The command line is therefore rewritten before commander sees it:
 * a bare `--tls-verify` becomes `--tls-verify=true`, `--all=true` becomes
 * `--all` and `--all=false` removes the switch.
 */

const TRUE = new Set(['true', '1', 'yes', 't']);
const FALSE = new Set(['false', '0', 'no', 'f']);

/** Parses a boolean flag value: true/false, 1/0, yes/no (any case). */
export function boolValue(flag: string, value: string): boolean {
  const v = value.toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new FerryError('USAGE', `${flag}: expected true or false, got "${value}"`, { hint: `write ${flag} (true), ${flag}=true or ${flag}=false` });
}

/** A boolean flag that takes an optional `=VALUE`: declared as `--name [BOOL]`. */
function isValuedBool(option: Option): boolean {
  return option.optional && /\[BOOL\]$/.test(option.flags);
}

function findOption(chain: readonly CommandUnknownOpts[], name: string): Option | undefined {
  for (const command of chain) {
    const found = command.options.find((o) => o.long === name || o.short === name);
    if (found) return found;
  }
  return undefined;
}

function findSubcommand(command: CommandUnknownOpts, name: string): CommandUnknownOpts | undefined {
  return command.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

/**
 * Rewrites `argv` (without the program name) so commander reads boolean
 * flags as skopeo does. Words after `--` and values of options that take one
 * are left alone.
 *
 * @throws FerryError `USAGE` for `--switch=VALUE` with a value that is not a boolean.
 */
export function normalizeBoolArgs(argv: readonly string[], program: CommandUnknownOpts): string[] {
  const chain: CommandUnknownOpts[] = [program];
  const out: string[] = [];
  let operands = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      const sub = operands === 0 ? findSubcommand(chain[0]!, arg) : undefined;
      if (sub) chain.unshift(sub);
      else operands++;
      out.push(arg);
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq === -1 ? arg : arg.slice(0, eq);
    const option = findOption(chain, name);
    if (option === undefined) {
      out.push(arg);
      continue;
    }
    if (isValuedBool(option)) {
      out.push(eq === -1 ? `${name}=true` : arg);
    } else if (option.isBoolean() && eq !== -1) {
      if (boolValue(name, arg.slice(eq + 1))) out.push(name);
      // The last word wins, as in pflag: `--all --all=false` is false.
      else for (let j = out.length - 1; j >= 0; j--) if (out[j] === name || (option.short !== undefined && out[j] === option.short)) out.splice(j, 1);
    } else if (option.required && eq === -1 && i + 1 < argv.length) {
      // The next word is this option's value, whatever it looks like.
      out.push(arg, argv[++i]!);
    } else {
      out.push(arg);
    }
  }
  return out;
}
