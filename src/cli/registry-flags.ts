import { Option, type Command } from 'commander';
import { FerryError } from '../errors.ts';
import { boolValue } from './bool-args.ts';
import type { AccessOptions } from '../repository/access.ts';
import { retryPolicy } from '../util/retry.ts';

/**
 * Parses skopeo-style booleans: `--tls-verify`, `--tls-verify=false`,
 * `--tls-verify=yes`. Options using it are declared `--name [BOOL]`, which
 * bool-args.ts recognises so a bare flag never takes the next word.
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

/**
 * Adds the registry access flags for one side (`src`, `dest`) or, with an
 * empty prefix, for single-image commands (`--creds`, `--tls-verify`, …).
 */
export function addAccessFlags(command: Command, side: 'src' | 'dest' | ''): Command {
  const p = side === '' ? '' : `${side}-`;
  const what = side === 'src' ? 'the source registry' : side === 'dest' ? 'the destination registry' : 'the registry';
  return command
    .addOption(new Option(`--${p}creds <USER[:PASS]>`, `credentials for ${what}`))
    .addOption(new Option(`--${p}username <USER>`, `user name for ${what}`).hideHelp())
    .addOption(new Option(`--${p}password <PASS>`, `password for ${what}`).hideHelp())
    .addOption(new Option(`--${p}registry-token <TOKEN>`, `bearer token for ${what}`))
    .addOption(new Option(`--${p}no-creds`, `access ${what} anonymously`))
    .addOption(new Option(`--${p}cert-dir <DIR>`, `CA (*.crt) and client certificates (*.cert, *.key) for ${what}`))
    .addOption(new Option(`--${p}tls-verify [BOOL]`, `verify TLS certificates of ${what}; false also allows plain HTTP`).argParser(parseBool(`--${p}tls-verify`)));
}

/** `--src-daemon-host` / `--dest-daemon-host` (`--daemon-host` on single-image commands), as skopeo names them. */
export function addDaemonHostFlag(command: Command, side: 'src' | 'dest' | ''): Command {
  const p = side === '' ? '' : `${side}-`;
  return command.addOption(new Option(`--${p}daemon-host <URL>`, `Docker daemon for docker-daemon: references${side === '' ? '' : ` on the ${side === 'src' ? 'source' : 'destination'} side`} (default: DOCKER_HOST, else unix:///var/run/docker.sock)`));
}

function camel(s: string): string {
  return s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** Builds access options for one side from parsed flags (commander's camelCase keys). */
export function accessFrom(opts: Record<string, unknown>, side: 'src' | 'dest' | '', common: { authFile?: string | undefined; retryTimes?: number | undefined }): AccessOptions {
  const p = side === '' ? '' : `${side}-`;
  const get = <T>(name: string): T | undefined => opts[camel(`${p}${name}`)] as T | undefined;
  const access: AccessOptions = {};
  const creds = get<string>('creds');
  const username = get<string>('username');
  if (creds !== undefined) access.creds = creds;
  if (username !== undefined) {
    access.username = username;
    access.password = get<string>('password') ?? '';
  }
  const token = get<string>('registry-token');
  if (token !== undefined) access.registryToken = token;
  if (get<boolean>('no-creds')) access.noCreds = true;
  const certDir = get<string>('cert-dir');
  if (certDir !== undefined) access.certDir = certDir;
  const verify = get<boolean>('tls-verify');
  if (verify !== undefined) access.tlsVerify = verify;
  const daemonHost = get<string>('daemon-host');
  if (daemonHost !== undefined) access.daemonHost = daemonHost;
  const authFile = get<string>('authfile') ?? common.authFile;
  if (authFile !== undefined) access.authFile = authFile;
  if (common.retryTimes !== undefined) access.retry = retryPolicy(common.retryTimes);
  const conflicting = [creds !== undefined || username !== undefined, token !== undefined, access.noCreds === true].filter(Boolean).length;
  if (conflicting > 1) {
    throw new FerryError('USAGE', `--${p}creds, --${p}registry-token and --${p}no-creds are mutually exclusive`);
  }
  return access;
}

/** One side's skopeo flags as commander parsed them (camelCase keys), for the sync config loaders. */
export function skopeoSideFlags(opts: Record<string, unknown>, p: 'src' | 'dest') {
  const get = (k: string) => opts[`${p}${k}`];
  return {
    creds: get('Creds') as string | undefined,
    username: get('Username') as string | undefined,
    password: get('Password') as string | undefined,
    registryToken: get('RegistryToken') as string | undefined,
    noCreds: get('NoCreds') === true ? true : undefined,
    certDir: get('CertDir') as string | undefined,
    tlsVerify: get('TlsVerify') as boolean | undefined,
  };
}
