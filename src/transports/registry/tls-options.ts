import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContext } from 'node:tls';
import { FerryError } from '../../errors.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import { defaultTrust, type DefaultTrust } from './system-trust.ts';

/** TLS settings for one registry, in skopeo's terms. */
export interface TlsSettings {
  /** false: accept any certificate and fall back to plain HTTP (`--tls-verify=false`). Default true. */
  verify?: boolean | undefined;
  /** `--cert-dir`: replaces the certs.d lookup for this registry. */
  certDir?: string | undefined;
}

/** What undici's connector needs. */
export interface ConnectTlsOptions {
  rejectUnauthorized: boolean;
  /** The trusted CAs and client certificate, built once and shared by every connection; Node's default when undefined. */
  secureContext?: SecureContext | undefined;
  /** Whether a client certificate is presented (for error messages). */
  clientCertificate: boolean;
}

/** What a certs.d-style directory holds. */
export interface CertDirContents {
  ca?: string[] | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** The machine-wide certs.d roots of containers tools and Docker. */
const SYSTEM_CERTS_D = ['/etc/containers/certs.d', '/etc/docker/certs.d'];

/**
 * Per-host directories searched when no cert dir is given, as containers/image
 * and Docker do. `FERRY_SYSTEM_CERTS_D` (a `:`-separated list) replaces the
 * machine-wide roots, for a machine whose `/etc` cannot be changed, and for tests.
 */
export function certsDDirectories(host: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env['HOME'] ?? homedir();
  const system = env['FERRY_SYSTEM_CERTS_D'] !== undefined ? env['FERRY_SYSTEM_CERTS_D'].split(':').filter((d) => d !== '') : SYSTEM_CERTS_D;
  const roots = [join(home, '.config/containers/certs.d'), ...system];
  // certs.d folders name the host as host:port, and Docker accepts host_port on file systems without ':'.
  const names = host.includes(':') ? [host, host.replace(/:(\d+)$/, '_$1')] : [host];
  return roots.flatMap((root) => names.map((name) => join(root, name)));
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw new FerryError('IO', `cannot read certificate directory ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Certificates and keys are a few KiB (a CA bundle a few hundred); this bounds a path that names something else. */
const MAX_CERT_FILE_BYTES = 16 * 1024 * 1024;

async function readCertFile(path: string): Promise<string> {
  return (await readSmallFile(path, { what: 'certificate file', maxBytes: MAX_CERT_FILE_BYTES, code: 'TLS', missingCode: 'TLS' })).toString('utf8');
}

/**
 * Reads CA certificates (`*.crt`) and a client certificate pair (`*.cert` +
 * `*.key` of the same base name) from a directory, as Docker's certs.d does.
 * A `.cert` without its `.key` (or the reverse) is an error, as in Docker.
 */
export async function readCertDir(dir: string): Promise<CertDirContents> {
  const files = await listDir(dir);
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const file of files) {
    if (file.endsWith('.crt')) ca.push(await readCertFile(join(dir, file)));
    if (file.endsWith('.cert')) {
      const base = file.slice(0, -'.cert'.length);
      if (!files.includes(`${base}.key`)) {
        throw new FerryError('TLS', `client certificate ${join(dir, file)} has no matching ${base}.key`);
      }
      cert = await readCertFile(join(dir, file));
      key = await readCertFile(join(dir, `${base}.key`));
    }
    if (file.endsWith('.key') && !files.includes(`${file.slice(0, -'.key'.length)}.cert`)) {
      throw new FerryError('TLS', `client key ${join(dir, file)} has no matching ${file.slice(0, -'.key'.length)}.cert`);
    }
  }
  return { ...(ca.length > 0 ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}) };
}

/**
 * Checks that an explicitly named cert dir is a directory: a typo must not
 * silently fall back to no client certificate and the default trust.
 *
 * @throws FerryError `USAGE` naming `flag` when it is missing or not a directory.
 */
export async function checkCertDir(dir: string, flag = '--cert-dir'): Promise<void> {
  const hint = `${flag} names a directory holding ca.crt (trusted CAs) and client.cert + client.key, as in /etc/containers/certs.d/HOST`;
  let info;
  try {
    info = await stat(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new FerryError('USAGE', `${flag} ${dir}: no such directory`, { hint, cause: err });
    throw new FerryError('IO', `${flag} ${dir}: ${(err as Error).message}`, { cause: err });
  }
  if (!info.isDirectory()) throw new FerryError('USAGE', `${flag} ${dir} is a file, not a directory`, { hint });
}

/** The trust of a connection that verifies nothing (`--tls-verify=false`): Node's default context. */
const UNVERIFIED: DefaultTrust = { ca: [], context: undefined };

/**
 * The TLS options for connecting to `host`. Trusted are Node's CAs, the
 * system's trust store (see system-trust.ts) and the CAs of the cert dir
 * (`settings.certDir`, else the certs.d directories for the host); extra
 * CAs are added to the defaults, never substituted for them.
 *
 * @throws FerryError `USAGE` when `settings.certDir` is not a directory, `TLS` for a client pair missing one half.
 */
export async function resolveTlsOptions(
  host: string,
  settings: TlsSettings,
  env: NodeJS.ProcessEnv = process.env,
  certDirFlag = '--cert-dir',
): Promise<ConnectTlsOptions> {
  const rejectUnauthorized = settings.verify ?? true;
  if (settings.certDir !== undefined) await checkCertDir(settings.certDir, certDirFlag);
  const dirs = settings.certDir !== undefined ? [settings.certDir] : certsDDirectories(host, env);
  const extra: CertDirContents = {};
  for (const dir of dirs) {
    const found = await readCertDir(dir);
    if (found.ca) extra.ca = [...(extra.ca ?? []), ...found.ca];
    if (found.cert !== undefined && extra.cert === undefined) {
      extra.cert = found.cert;
      extra.key = found.key;
    }
  }
  // Without verification no CA is ever consulted: reading and parsing the system's few hundred would be wasted (~50 ms).
  const trust = rejectUnauthorized ? await defaultTrust(env) : UNVERIFIED;
  if (extra.ca === undefined && extra.cert === undefined) {
    return { rejectUnauthorized, ...(trust.context ? { secureContext: trust.context } : {}), clientCertificate: false };
  }
  try {
    const secureContext = createSecureContext({
      ca: [...trust.ca, ...(extra.ca ?? [])],
      ...(extra.cert !== undefined ? { cert: extra.cert, key: extra.key } : {}),
    });
    return { rejectUnauthorized, secureContext, clientCertificate: extra.cert !== undefined };
  } catch (err) {
    throw new FerryError('TLS', `the certificates for ${host} in ${dirs.join(', ')} cannot be used: ${(err as Error).message}`, {
      cause: err,
      hint: 'ca.crt and client.cert must hold PEM certificates, client.key the PEM private key of client.cert',
    });
  }
}
