import { X509Certificate } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readSmallFile } from '../../util/regular-file.ts';
import * as tls from 'node:tls';

/**
 * The machine's trust store, read the way Go's crypto/x509 reads it on Linux
 * and the BSDs (and so the way skopeo, podman and every Go client trust
 * registries): the first CA bundle found among the distributions' usual
 * paths, plus every certificate file in the usual directories.
 * `SSL_CERT_FILE` replaces the bundle list and `SSL_CERT_DIR` (a
 * colon-separated list) the directory list. A CA added with
 * `update-ca-certificates` or `update-ca-trust` therefore counts.
 */

/** Bundles tried in order, the first readable one wins (Go's list for Linux). */
export const SYSTEM_CERT_FILES: readonly string[] = [
  '/etc/ssl/certs/ca-certificates.crt', // Debian, Ubuntu, Gentoo, Arch
  '/etc/pki/tls/certs/ca-bundle.crt', // Fedora, RHEL 6
  '/etc/ssl/ca-bundle.pem', // openSUSE
  '/etc/pki/tls/cacert.pem', // OpenELEC
  '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem', // CentOS, RHEL 7 and later
  '/etc/ssl/cert.pem', // Alpine
];

/** Directories whose every file is read for certificates. */
export const SYSTEM_CERT_DIRS: readonly string[] = ['/etc/ssl/certs', '/etc/pki/tls/certs'];

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** The same certificate is often stored with different line breaks (bundle, per-file copies, Node's list). */
function pemKey(pem: string): string {
  return pem.replace(/\s+/g, '');
}

/** The PEM certificate blocks of a text, as written. */
export function pemBlocks(text: string): string[] {
  return [...text.matchAll(PEM_BLOCK)].map((m) => m[0]);
}

function parses(pem: string): boolean {
  try {
    new X509Certificate(pem);
    return true;
  } catch {
    // Go's AppendCertsFromPEM skips blocks that are not certificates, and so do we.
    return false;
  }
}

/** The system's CA bundle is a few hundred KiB; this bounds a path that names something else. */
const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return (await readSmallFile(file, { what: 'CA file', maxBytes: MAX_CA_FILE_BYTES })).toString('utf8');
  } catch {
    return undefined;
  }
}

async function readDirTexts(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return [];
  }
  const texts = await Promise.all(names.map((name) => readOptional(join(dir, name))));
  return texts.filter((t) => t !== undefined);
}

/**
 * The system's CA certificates as PEM, each once, blocks that do not parse
 * left out. On macOS and Windows, where there is no bundle on disk, Node's
 * view of the system store.
 */
export async function readSystemCertificates(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (process.platform === 'darwin' || process.platform === 'win32') return tls.getCACertificates('system');
  const file = env['SSL_CERT_FILE'];
  const dir = env['SSL_CERT_DIR'];
  const files = file !== undefined && file !== '' ? [file] : SYSTEM_CERT_FILES;
  const dirs = dir !== undefined && dir !== '' ? dir.split(':').filter((d) => d !== '') : SYSTEM_CERT_DIRS;
  const texts: string[] = [];
  for (const candidate of files) {
    const text = await readOptional(candidate);
    if (text !== undefined) {
      texts.push(text);
      break;
    }
  }
  for (const d of dirs) texts.push(...(await readDirTexts(d)));
  const unique = new Map<string, string>();
  for (const text of texts) for (const pem of pemBlocks(text)) if (!unique.has(pemKey(pem))) unique.set(pemKey(pem), pem);
  return [...unique.values()].filter(parses);
}

/** The CAs every registry connection trusts unless a cert dir adds more. */
export interface DefaultTrust {
  /** Node's default CAs (its bundle, `NODE_EXTRA_CA_CERTS`) and the system's, each once. */
  ca: string[];
  /**
   * A context trusting `ca`, or undefined when the system adds nothing to
   * Node's defaults (Node's own default context is then just as good, and
   * cheaper than building one).
   */
  context: tls.SecureContext | undefined;
}

const trusts = new Map<string, Promise<DefaultTrust>>();

/**
 * The default trust, read once per process for each `SSL_CERT_FILE` /
 * `SSL_CERT_DIR` setting. One context shared by every connection avoids
 * re-parsing hundreds of certificates per socket.
 */
export function defaultTrust(env: NodeJS.ProcessEnv = process.env): Promise<DefaultTrust> {
  const key = `${env['SSL_CERT_FILE'] ?? ''}\0${env['SSL_CERT_DIR'] ?? ''}`;
  let entry = trusts.get(key);
  if (!entry) {
    entry = readSystemCertificates(env).then((system) => {
      const ca = tls.getCACertificates('default');
      const known = new Set(ca.map(pemKey));
      const added = system.filter((pem) => !known.has(pemKey(pem)));
      if (added.length === 0) return { ca, context: undefined };
      const all = [...ca, ...added];
      return { ca: all, context: tls.createSecureContext({ ca: all }) };
    });
    trusts.set(key, entry);
  }
  return entry;
}
