import { readdir, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../errors.ts';

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
  ca?: string[] | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** Per-host directories searched when no cert dir is given, as containers/image and Docker do. */
export function certsDDirectories(host: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const home = env['HOME'] ?? homedir();
  const roots = [join(home, '.config/containers/certs.d'), '/etc/containers/certs.d', '/etc/docker/certs.d'];
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

/**
 * Reads CA certificates (`*.crt`) and a client certificate pair (`*.cert` +
 * `*.key` of the same base name) from a directory, as Docker's certs.d does.
 * A `.cert` without its `.key` (or the reverse) is an error, as in Docker.
 */
export async function readCertDir(dir: string): Promise<Pick<ConnectTlsOptions, 'ca' | 'cert' | 'key'>> {
  const files = await listDir(dir);
  const ca: string[] = [];
  let cert: string | undefined;
  let key: string | undefined;
  for (const file of files) {
    if (file.endsWith('.crt')) ca.push(await readFile(join(dir, file), 'utf8'));
    if (file.endsWith('.cert')) {
      const base = file.slice(0, -'.cert'.length);
      if (!files.includes(`${base}.key`)) {
        throw new FerryError('TLS', `client certificate ${join(dir, file)} has no matching ${base}.key`);
      }
      cert = await readFile(join(dir, file), 'utf8');
      key = await readFile(join(dir, `${base}.key`), 'utf8');
    }
    if (file.endsWith('.key') && !files.includes(`${file.slice(0, -'.key'.length)}.cert`)) {
      throw new FerryError('TLS', `client key ${join(dir, file)} has no matching ${file.slice(0, -'.key'.length)}.cert`);
    }
  }
  return { ...(ca.length > 0 ? { ca } : {}), ...(cert !== undefined ? { cert, key } : {}) };
}

/**
 * The TLS options for connecting to `host`. System CAs stay trusted: extra CAs
 * are appended to Node's defaults, not substituted for them.
 */
export async function resolveTlsOptions(host: string, settings: TlsSettings, env: NodeJS.ProcessEnv = process.env): Promise<ConnectTlsOptions> {
  const verify = settings.verify ?? true;
  const dirs = settings.certDir !== undefined ? [settings.certDir] : certsDDirectories(host, env);
  const merged: ConnectTlsOptions = { rejectUnauthorized: verify };
  for (const dir of dirs) {
    const found = await readCertDir(dir);
    if (found.ca) merged.ca = [...(merged.ca ?? []), ...found.ca];
    if (found.cert !== undefined && merged.cert === undefined) {
      merged.cert = found.cert;
      merged.key = found.key;
    }
  }
  if (merged.ca) {
    const { rootCertificates } = await import('node:tls');
    merged.ca = [...rootCertificates, ...merged.ca];
  }
  return merged;
}
