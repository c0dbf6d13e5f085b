import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * The real programs tests run against. Outside CI a missing peer skips the
 * tests that need it, with a message; where CI=true it fails them, so a broken
 * CI image cannot turn the suite green by skipping.
 */

const INSTALL_HINT: Record<string, string> = {
  'docker-registry': 'apt-get install docker-registry',
  skopeo: 'apt-get install skopeo',
  umoci: 'apt-get install umoci',
  openssl: 'apt-get install openssl',
  htpasswd: 'apt-get install apache2-utils',
  gpg: 'apt-get install gnupg',
  gpgconf: 'apt-get install gnupg',
  gpgv: 'apt-get install gpgv',
  dockerd: 'apt-get install docker.io',
  docker: 'apt-get install docker.io',
  podman: 'apt-get install podman',
  setpriv: 'apt-get install util-linux',
  unshare: 'apt-get install util-linux',
  chromium: 'apt-get install chromium',
  patch: 'apt-get install patch',
  script: 'apt-get install bsdutils',
};

const found = new Map<string, string | undefined>();

/** Absolute path of an executable on PATH (or /usr/bin, /usr/sbin), else undefined. */
export function findPeer(name: string): string | undefined {
  if (found.has(name)) return found.get(name);
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin'];
  let path: string | undefined;
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      path = candidate;
      break;
    } catch {
      // not in this directory
    }
  }
  found.set(name, path);
  return path;
}

export function isCI(): boolean {
  return process.env['CI'] === 'true' || process.env['CI'] === '1';
}

function missingMessage(names: string[]): string {
  const hints = names.map((n) => INSTALL_HINT[n] ?? `install ${n}`).join('; ');
  return `missing test peer${names.length > 1 ? 's' : ''}: ${names.join(', ')} (${hints}, or run scripts/setup.sh --peers as root)`;
}

/**
 * Decides whether tests needing `names` can run: false when every peer is
 * installed, a skip message otherwise. Under CI=true a missing peer throws
 * instead. Use as `test('…', { skip: requirePeer('skopeo') }, fn)`.
 */
export function requirePeer(...names: string[]): string | false {
  const missing = names.filter((n) => findPeer(n) === undefined);
  if (missing.length === 0) return false;
  if (isCI()) throw new Error(`${missingMessage(missing)}; CI=true requires every peer`);
  return missingMessage(missing);
}

/** Path of a peer the caller cannot do without; throws with an install hint when it is missing. */
export function peerPath(name: string): string {
  const path = findPeer(name);
  if (path === undefined) throw new Error(missingMessage([name]));
  return path;
}
