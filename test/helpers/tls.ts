import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { peerPath } from './peers.ts';

/**
 * Test certificates made with the openssl CLI, laid out so a directory can be
 * handed to skopeo's `--cert-dir` (certs.d convention: `*.crt` are trusted CAs,
 * `*.cert` + `*.key` a client pair). A stray `*.key` without its `*.cert`
 * makes containers/image refuse a cert dir, so private keys of the CA and the
 * server live in `private/`.
 */

const run = promisify(execFile);

/** Two days: long enough for any test run, short enough to never matter if leaked. */
const VALID_DAYS = '2';

export interface CertificateAuthority {
  dir: string;
  /** PEM certificate: `dir/ca.crt`. */
  cert: string;
  /** PEM key: `dir/private/ca.key`. */
  key: string;
  /** A directory holding only `ca.crt`: `--cert-dir` for trust without a client certificate. */
  certDir: string;
}

export interface CertPair {
  cert: string;
  key: string;
}

export interface ClientCert extends CertPair {
  /** A directory with `ca.crt`, `client.cert`, `client.key`: `--cert-dir` for trust plus client authentication. */
  certDir: string;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run(peerPath('openssl'), args, { cwd });
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`openssl ${args[0]} failed in ${cwd}: ${stderr.trim() || (err as Error).message}`, { cause: err });
  }
}

/** P-256 keys: quick to generate and accepted by Go (the registry), Node and skopeo. */
const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function serial(): string {
  return `0x${randomBytes(12).toString('hex')}`;
}

/** Creates a self-signed CA in `dir` (created when missing). */
export async function makeCA(dir: string): Promise<CertificateAuthority> {
  const priv = join(dir, 'private');
  const certDir = join(dir, 'trust');
  await mkdir(priv, { recursive: true });
  await mkdir(certDir, { recursive: true });
  const cert = join(dir, 'ca.crt');
  const key = join(priv, 'ca.key');
  await openssl(
    ['req', '-x509', ...KEY_ARGS, '-keyout', key, '-out', cert, '-days', VALID_DAYS, '-subj', '/CN=ferry test CA', '-set_serial', serial(),
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  await copyFile(cert, join(certDir, 'ca.crt'));
  return { dir, cert, key, certDir };
}

async function issue(ca: CertificateAuthority, name: string, subject: string, extensions: string[], certPath: string, keyPath: string): Promise<void> {
  const priv = join(ca.dir, 'private');
  const csr = join(priv, `${name}.csr`);
  const ext = join(priv, `${name}.ext`);
  await writeFile(ext, `${extensions.join('\n')}\n`);
  await openssl(['req', '-new', ...KEY_ARGS, '-keyout', keyPath, '-out', csr, '-subj', subject], ca.dir);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial(), '-days', VALID_DAYS, '-extfile', ext, '-out', certPath], ca.dir);
}

export interface ServerCertOptions {
  /** Names and addresses in subjectAltName; IPs become `IP:`, others `DNS:`. */
  hosts?: string[];
  /** File stem inside `ca.dir/private` (default `server`). */
  name?: string;
}

/** Issues a server certificate: `private/server.crt` and `private/server.key`. */
export async function makeServerCert(ca: CertificateAuthority, options: ServerCertOptions = {}): Promise<CertPair> {
  const hosts = options.hosts ?? ['127.0.0.1', 'localhost', '::1'];
  const name = options.name ?? 'server';
  const san = hosts.map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const cert = join(ca.dir, 'private', `${name}.crt`);
  const key = join(ca.dir, 'private', `${name}.key`);
  const cn = hosts.find((h) => isIP(h) === 0) ?? hosts[0] ?? 'localhost';
  await issue(ca, name, `/CN=${cn}`, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', `subjectAltName=${san}`], cert, key);
  return { cert, key };
}

export interface ClientCertOptions {
  /** Subject common name (default `ferry-test-client`). */
  commonName?: string;
}

/** Issues a client certificate into `ca.dir/trust-client/` as `client.cert` + `client.key`, beside a copy of `ca.crt`. */
export async function makeClientCert(ca: CertificateAuthority, options: ClientCertOptions = {}): Promise<ClientCert> {
  const certDir = join(ca.dir, 'trust-client');
  await mkdir(certDir, { recursive: true });
  const cert = join(certDir, 'client.cert');
  const key = join(certDir, 'client.key');
  const cn = options.commonName ?? 'ferry-test-client';
  await issue(ca, 'client', `/CN=${cn}`, ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'], cert, key);
  await copyFile(ca.cert, join(certDir, 'ca.crt'));
  return { cert, key, certDir };
}
