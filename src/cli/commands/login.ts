import { createInterface } from 'node:readline/promises';
import { Option } from '@commander-js/extra-typings';
import { checkLogin, login, logout } from '../../api/login.ts';
import { FerryError } from '../../errors.ts';
import type { CommandModule } from '../context.ts';
import { parseBool } from '../registry-flags.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new FerryError('USAGE', `${question.replace(/: $/, '')} is required`, { hint: 'pass -u/-p, or --password-stdin' });
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

export const loginCommand: CommandModule = (program, ctx) => {
  program
    .command('login')
    .description('Check credentials against a registry and store them in the auth file (mode 0600)')
    .argument('<registry>', 'host[:port], or host/namespace')
    .option('-u, --username <USER>', 'user name')
    .option('-p, --password <PASS>', 'password (prefer --password-stdin: arguments are visible to other users)')
    .option('--password-stdin', 'read the password from standard input')
    .option('--authfile <FILE>', 'auth file to write (default: $XDG_RUNTIME_DIR/containers/auth.json)')
    .option('--cert-dir <DIR>', 'CA and client certificates for the registry')
    .addOption(new Option('--tls-verify [BOOL]', 'verify TLS certificates; false also allows plain HTTP').argParser(parseBool('--tls-verify')))
    .action(async (registry, opts) => {
      if (opts.password !== undefined && opts.passwordStdin) throw new FerryError('USAGE', '--password and --password-stdin are mutually exclusive');
      const username = opts.username ?? (await prompt('Username: '));
      const password = opts.passwordStdin ? await readStdin() : (opts.password ?? (await prompt('Password: ')));
      await checkLogin(registry, { username, password, tlsVerify: opts.tlsVerify, certDir: opts.certDir, signal: ctx.signal });
      const path = await login({ registry, username, password, authFile: opts.authfile, signal: ctx.signal });
      ctx.output.info(`Login Succeeded! (${path})`);
    });
};

export const logoutCommand: CommandModule = (program, ctx) => {
  program
    .command('logout')
    .description('Remove stored credentials for a registry, or all of them')
    .argument('[registry]', 'host[:port], or host/namespace')
    .option('-a, --all', 'remove every stored credential')
    .option('--authfile <FILE>', 'auth file to change')
    .action(async (registry, opts) => {
      if (!registry && !opts.all) throw new FerryError('USAGE', 'logout needs a registry, or --all');
      const result = await logout({ registry, all: opts.all === true, authFile: opts.authfile, signal: ctx.signal });
      const removed = result.files.reduce((n, f) => n + f.removed.length, 0);
      ctx.output.info(opts.all ? `Removed ${removed} stored credentials` : `Removed login credentials for ${registry}`);
    });
};
