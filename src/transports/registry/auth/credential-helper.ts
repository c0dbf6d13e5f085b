import { spawn } from 'node:child_process';
import { abortError, FerryError, throwIfAborted } from '../../../errors.ts';
import { IDENTITY_TOKEN_USERNAME, type Credentials } from './credentials.ts';

/** Helpers may sit behind a keyring that prompts for an unlock; half a minute leaves time for that and still ends a hung helper. */
export const HELPER_TIMEOUT_MS = 30_000;

/** A helper's answer is one small JSON object; more than this is not a helper talking. */
const MAX_HELPER_OUTPUT = 64 * 1024;

/** How much of a failing helper's output is worth quoting in an error. */
const MAX_QUOTED_OUTPUT = 200;

/** Helper names become part of a program name looked up on PATH, so no path separators or options. */
const HELPER_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface CredentialHelperOptions {
  /** Environment for the helper, and whose PATH finds it; `process.env` by default. */
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
  /** Defaults to {@link HELPER_TIMEOUT_MS}. */
  timeoutMs?: number | undefined;
  /** Where the helper was configured (an auth file path), for messages. */
  configuredIn?: string | undefined;
}

/**
 * Asks `docker-credential-<helper> get` for the credentials stored under
 * `serverUrl` (the Docker credential helper protocol: the server URL on
 * stdin, `{"ServerURL","Username","Secret"}` on stdout). A user name of
 * `<token>` marks an identity token. Returns undefined when the helper has
 * nothing for that server; throws FerryError('CREDENTIAL_HELPER') for any
 * other failure, never quoting a secret.
 */
export async function credentialHelperGet(
  helper: string,
  serverUrl: string,
  options: CredentialHelperOptions = {},
): Promise<Credentials | undefined> {
  const program = `docker-credential-${helper}`;
  const where = options.configuredIn === undefined ? '' : ` (configured in ${options.configuredIn})`;
  if (!HELPER_NAME_RE.test(helper)) {
    throw new FerryError('INVALID_CONFIG', `invalid credential helper name "${helper}"${where}`, {
      hint: 'a helper name is the part after "docker-credential-", without slashes or spaces',
    });
  }
  throwIfAborted(options.signal);
  const result = await runHelper(program, serverUrl, options);
  const context = `credential helper ${program}${where} for ${serverUrl}`;

  if (result.kind === 'missing') {
    throw new FerryError('CREDENTIAL_HELPER', `${context}: ${program} was not found on PATH`, {
      hint: `install ${program}, or remove it from credHelpers/credsStore of the auth file`,
    });
  }
  if (result.kind === 'timeout') {
    throw new FerryError('CREDENTIAL_HELPER', `${context}: no answer within ${Math.round(result.ms / 1000)} s`, {
      hint: 'the helper may be waiting for a keyring to be unlocked',
      retryable: true,
    });
  }
  if (result.kind === 'spawn-error') {
    throw new FerryError('CREDENTIAL_HELPER', `${context}: could not run it (${result.code})`);
  }
  if (result.exitCode !== 0) {
    const output = `${result.stdout}\n${result.stderr}`;
    if (/credentials not found/i.test(output)) return undefined;
    const quoted = quoteOutput(output);
    const status = result.exitCode === null ? `killed by ${result.signal ?? 'a signal'}` : `exit status ${result.exitCode}`;
    throw new FerryError('CREDENTIAL_HELPER', `${context} failed (${status})${quoted === '' ? '' : `: ${quoted}`}`);
  }
  return parseHelperAnswer(result.stdout, context, program);
}

function parseHelperAnswer(stdout: string, context: string, program: string): Credentials | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(stdout);
  } catch {
    // The output is not quoted: it may hold the secret in a form we failed to parse.
    throw new FerryError('CREDENTIAL_HELPER', `${context}: the answer is not JSON`);
  }
  if (typeof answer !== 'object' || answer === null) {
    throw new FerryError('CREDENTIAL_HELPER', `${context}: the answer is not a JSON object`);
  }
  const { Username: username, Secret: secret } = answer as Record<string, unknown>;
  if (secret === undefined || secret === '') return undefined;
  if (typeof secret !== 'string' || (username !== undefined && typeof username !== 'string')) {
    throw new FerryError('CREDENTIAL_HELPER', `${context}: "Username" and "Secret" must be strings`);
  }
  const source = program;
  if (username === IDENTITY_TOKEN_USERNAME) return { kind: 'identity-token', identityToken: secret, source };
  return { kind: 'basic', username: username ?? '', password: secret, source };
}

/** First line of a failing helper's output, unless it looks like JSON (which could hold a secret). */
function quoteOutput(output: string): string {
  const line = output.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? '';
  if (line.startsWith('{') || /secret/i.test(line)) return '';
  return line.length > MAX_QUOTED_OUTPUT ? `${line.slice(0, MAX_QUOTED_OUTPUT)}…` : line;
}

type HelperRun =
  | { kind: 'exited'; exitCode: number | null; signal: string | null; stdout: string; stderr: string }
  | { kind: 'missing' }
  | { kind: 'timeout'; ms: number }
  | { kind: 'spawn-error'; code: string };

function runHelper(program: string, serverUrl: string, options: CredentialHelperOptions): Promise<HelperRun> {
  const timeoutMs = options.timeoutMs ?? HELPER_TIMEOUT_MS;
  const { signal } = options;
  return new Promise<HelperRun>((resolve, reject) => {
    const child = spawn(program, ['get'], {
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    let settled = false;
    let timedOut = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      outcome();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(() => reject(abortError(signal)));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_HELPER_OUTPUT) child.kill('SIGKILL');
      else into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    // A helper that exits without reading stdin makes the write fail with EPIPE; its exit status says more.
    child.stdin.on('error', () => {});
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish(() => resolve(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'spawn-error', code: error.code ?? 'unknown error' }));
    });
    child.on('close', (exitCode, exitSignal) => {
      finish(() => {
        if (timedOut) return resolve({ kind: 'timeout', ms: timeoutMs });
        const out = Buffer.concat(stdout).toString('utf8');
        const err = Buffer.concat(stderr).toString('utf8');
        resolve({ kind: 'exited', exitCode, signal: exitSignal, stdout: out, stderr: err });
      });
    });
    child.stdin.end(serverUrl);
  });
}
