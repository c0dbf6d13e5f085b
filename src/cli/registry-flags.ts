import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { FerryError } from '../errors.ts';
import type { AccessOptions } from '../repository/access.ts';
import type { SkopeoSideFlags } from '../sync/config/skopeo-cli.ts';
import { retryPolicy } from '../util/retry.ts';
import { boolValue } from './program.ts';
import type { NoOptions, OptionsOf } from './typed-options.ts';

/**
 * Parses skopeo-style booleans: `--tls-verify`, `--tls-verify=false`,
 * `--tls-verify=yes`. Options using it are declared `--name [BOOL]`, which
 * program.ts recognises so a bare flag never takes the next word.
 */
export function parseBool(flag: string): (value: string | undefined) => boolean {
  return (value) => (value === undefined ? true : boolValue(flag, value));
}

export function parsePositiveInt(flag: string, min = 0): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new FerryError('USAGE', `${flag}: expected a whole number ≥ ${min}, got "${value}"`);
    return n;
  };
}

/** Which side a group of access flags is for: `--src-…`, `--dest-…`, or plain (single-image commands). */
export type AccessPrefix = 'src-' | 'dest-' | '';

/**
 * Adds the registry access flags for one side (`src-`, `dest-`) or, with an
 * empty prefix, for single-image commands (`--creds`, `--tls-verify`, …).
 * Secrets have safe forms besides the flag (visible in the process list):
 * `--…creds-file`, `--…registry-token-file` and environment variables
 * ({@link SECRET_ENV}).
 */
export function addAccessFlags<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends AccessPrefix>(command: Command<A, O, G>, p: P) {
  const what = p === 'src-' ? 'the source registry' : p === 'dest-' ? 'the destination registry' : 'the registry';
  const env = SECRET_ENV[p];
  return command
    .addOption(new Option(`--${p}creds <USER[:PASS]>` as const, `credentials for ${what} (visible to other users: prefer --${p}creds-file or $${env.creds})`))
    .addOption(new Option(`--${p}creds-file <FILE>` as const, `read USER:PASS for ${what} from the first line of FILE`))
    .addOption(new Option(`--${p}username <USER>` as const, `user name for ${what}`).hideHelp())
    .addOption(new Option(`--${p}password <PASS>` as const, `password for ${what}`).hideHelp())
    .addOption(new Option(`--${p}registry-token <TOKEN>` as const, `bearer token for ${what} (prefer --${p}registry-token-file or $${env.token})`))
    .addOption(new Option(`--${p}registry-token-file <FILE>` as const, `read the bearer token for ${what} from the first line of FILE`))
    .addOption(new Option(`--${p}no-creds` as const, `access ${what} anonymously`))
    .addOption(new Option(`--${p}cert-dir <DIR>` as const, `CA (*.crt) and client certificates (*.cert, *.key) for ${what}`))
    .addOption(new Option(`--${p}tls-verify [BOOL]` as const, `verify TLS certificates of ${what}; false also allows plain HTTP`).argParser(parseBool(`--${p}tls-verify`)));
}

/** `--src-daemon-host` / `--dest-daemon-host` (`--daemon-host` on single-image commands), as skopeo names them. */
export function addDaemonHostFlag<A extends unknown[], O extends OptionValues, G extends OptionValues, P extends AccessPrefix>(command: Command<A, O, G>, p: P) {
  const side = p === 'src-' ? ' on the source side' : p === 'dest-' ? ' on the destination side' : '';
  return command.addOption(new Option(`--${p}daemon-host <URL>` as const, `Docker daemon for docker-daemon: references${side} (default: DOCKER_HOST, else unix:///var/run/docker.sock)`));
}

/** One side's access flag values, as commander parsed them. */
export type AccessFlags<P extends AccessPrefix> = OptionsOf<typeof addAccessFlags<[], NoOptions, NoOptions, P>>;

/** Environment variables that carry a side's secrets, so they stay out of the process list. */
export const SECRET_ENV = {
  'src-': { creds: 'FERRY_SRC_CREDS', token: 'FERRY_SRC_REGISTRY_TOKEN' },
  'dest-': { creds: 'FERRY_DEST_CREDS', token: 'FERRY_DEST_REGISTRY_TOKEN' },
  '': { creds: 'FERRY_CREDS', token: 'FERRY_REGISTRY_TOKEN' },
} as const satisfies Record<AccessPrefix, { creds: string; token: string }>;

/** A side's flags without commander's prefixed names. */
interface SideValues {
  creds?: string | undefined;
  credsFile?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  registryToken?: string | undefined;
  registryTokenFile?: string | undefined;
  noCreds?: true | undefined;
  certDir?: string | undefined;
  tlsVerify?: boolean | undefined;
}

const UNPREFIX: { [P in AccessPrefix]: (o: AccessFlags<P>) => SideValues } = {
  'src-': (o) => ({ creds: o.srcCreds, credsFile: o.srcCredsFile, username: o.srcUsername, password: o.srcPassword, registryToken: o.srcRegistryToken, registryTokenFile: o.srcRegistryTokenFile, noCreds: o.srcNoCreds, certDir: o.srcCertDir, tlsVerify: o.srcTlsVerify }),
  'dest-': (o) => ({ creds: o.destCreds, credsFile: o.destCredsFile, username: o.destUsername, password: o.destPassword, registryToken: o.destRegistryToken, registryTokenFile: o.destRegistryTokenFile, noCreds: o.destNoCreds, certDir: o.destCertDir, tlsVerify: o.destTlsVerify }),
  // commander reads a plain `--no-creds` as the negation of `--creds`: creds is false.
  '': (o) => ({ creds: o.creds === false ? undefined : o.creds, noCreds: o.creds === false ? true : undefined, credsFile: o.credsFile, username: o.username, password: o.password, registryToken: o.registryToken, registryTokenFile: o.registryTokenFile, certDir: o.certDir, tlsVerify: o.tlsVerify }),
};

export interface SideFlagsOptions {
  /** Where `FERRY_*_CREDS` and `FERRY_*_REGISTRY_TOKEN` are read (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * One side's access settings in skopeo's terms, with the secrets of
 * `--…creds-file`, `--…registry-token-file` and the environment filled in.
 * A flag or file wins over the environment; the environment is only read when
 * the side has no credentials of its own on the command line.
 *
 * @throws FerryError `USAGE` when a secret is given twice (flag and file), `IO` for an unreadable file.
 */
export async function sideFlags<P extends AccessPrefix>(opts: AccessFlags<P>, p: P, options: SideFlagsOptions = {}): Promise<SkopeoSideFlags> {
  const v = (UNPREFIX[p] as (o: AccessFlags<P>) => SideValues)(opts);
  const env = options.env ?? process.env;
  const twice = (a: string, b: string) => new FerryError('USAGE', `--${p}${a} and --${p}${b} are mutually exclusive`, { hint: `give the secret once; --${p}${b} keeps it out of the process list` });
  if (v.creds !== undefined && v.credsFile !== undefined) throw twice('creds', 'creds-file');
  if (v.registryToken !== undefined && v.registryTokenFile !== undefined) throw twice('registry-token', 'registry-token-file');
  // Loaded only when a file is named: most runs never need it.
  const read = async (file: string, flag: string) => (await import('../util/secret-file.ts')).readSecretLine(file, flag, options);
  let creds = v.credsFile !== undefined ? await read(v.credsFile, `--${p}creds-file`) : v.creds;
  let registryToken = v.registryTokenFile !== undefined ? await read(v.registryTokenFile, `--${p}registry-token-file`) : v.registryToken;
  const fromCommandLine = creds !== undefined || registryToken !== undefined || v.username !== undefined || v.noCreds === true;
  if (!fromCommandLine) {
    const names = SECRET_ENV[p];
    const envCreds = env[names.creds];
    const envToken = env[names.token];
    if (envCreds !== undefined && envCreds !== '' && envToken !== undefined && envToken !== '') {
      throw new FerryError('USAGE', `${names.creds} and ${names.token} are both set`, { hint: 'set one of them' });
    }
    if (envCreds !== undefined && envCreds !== '') creds = envCreds;
    else if (envToken !== undefined && envToken !== '') registryToken = envToken;
  }
  return { creds, username: v.username, password: v.password, registryToken, noCreds: v.noCreds, certDir: v.certDir, tlsVerify: v.tlsVerify };
}

/** What every side of a command shares: the auth file, request retries, and the side's Docker daemon. */
export interface CommonAccess {
  authFile?: string | undefined;
  retryTimes?: number | undefined;
  daemonHost?: string | undefined;
}

/** Access options for opening one image from a side's settings and the {@link CommonAccess}. */
export function accessFrom(side: SkopeoSideFlags, p: AccessPrefix, common: CommonAccess): AccessOptions {
  const access: AccessOptions = {};
  if (common.daemonHost !== undefined) access.daemonHost = common.daemonHost;
  if (side.creds !== undefined) access.creds = side.creds;
  if (side.username !== undefined) {
    access.username = side.username;
    access.password = side.password ?? '';
  }
  if (side.registryToken !== undefined) access.registryToken = side.registryToken;
  if (side.noCreds) access.noCreds = true;
  if (side.certDir !== undefined) access.certDir = side.certDir;
  if (side.tlsVerify !== undefined) access.tlsVerify = side.tlsVerify;
  const authFile = side.authfile ?? common.authFile;
  if (authFile !== undefined) access.authFile = authFile;
  if (common.retryTimes !== undefined) access.retry = retryPolicy(common.retryTimes);
  const conflicting = [side.creds !== undefined || side.username !== undefined, side.registryToken !== undefined, access.noCreds === true].filter(Boolean).length;
  if (conflicting > 1) throw new FerryError('USAGE', `--${p}creds, --${p}registry-token and --${p}no-creds are mutually exclusive`);
  return access;
}

/** {@link sideFlags} then {@link accessFrom}: the access options of one side of a single-image command. */
export async function accessOptionsFrom<P extends AccessPrefix>(
  opts: AccessFlags<P>,
  p: P,
  common: CommonAccess & { signal?: AbortSignal | undefined },
): Promise<AccessOptions> {
  return accessFrom(await sideFlags(opts, p, { signal: common.signal }), p, common);
}
