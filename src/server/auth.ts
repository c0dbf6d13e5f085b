import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { readSmallFile } from '../util/regular-file.ts';
import { FerryError } from '../errors.ts';

/** Realm sent in `WWW-Authenticate`. */
export const AUTH_REALM = 'ferry';
/** Remembered successful logins, so bcrypt (deliberately slow) runs once per credential rather than per request. */
const MAX_CACHED_LOGINS = 1000;
/** A bcrypt line is ~70 bytes: room for 100,000 users. */
const MAX_HTPASSWD_BYTES = 8 * 1024 * 1024;

/** Checks a request's `Authorization` header; resolves to the user name, or undefined when it is missing or wrong. */
export type Authenticator = (authorization: string | undefined) => Promise<string | undefined>;

/**
 * Loads an htpasswd file of bcrypt entries (`user:$2y$…`, as `htpasswd -B`
 * writes). Other hash formats (MD5, SHA1, crypt) are refused at start-up, with
 * the line number, rather than failing every login later.
 */
export async function loadHtpasswd(path: string): Promise<Map<string, string>> {
  const text = (await readSmallFile(path, { what: 'htpasswd file', maxBytes: MAX_HTPASSWD_BYTES, missingCode: 'INVALID_CONFIG' })).toString('utf8');
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1).trim();
    if (colon <= 0 || !/^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
      throw new FerryError('INVALID_CONFIG', `${path}:${i + 1}: not a bcrypt entry "user:$2y$…"`, { hint: 'create entries with htpasswd -B' });
    }
    users.set(user, hash);
  });
  if (users.size === 0) throw new FerryError('INVALID_CONFIG', `${path}: no users`, { hint: 'add one with htpasswd -B FILE USER' });
  return users;
}

/** Basic-auth checker over htpasswd users. */
export function basicAuthenticator(users: ReadonlyMap<string, string>): Authenticator {
  // Keys are hashes of "user:password": the cache never holds a password.
  const verified = new Set<string>();
  return async (authorization) => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) return undefined;
    const user = decoded.slice(0, colon);
    const hash = users.get(user);
    if (hash === undefined) return undefined;
    const key = createHash('sha256').update(hash).update('\0').update(decoded).digest('hex');
    if (verified.has(key)) return user;
    if (!(await bcrypt.compare(decoded.slice(colon + 1), hash))) return undefined;
    if (verified.size >= MAX_CACHED_LOGINS) verified.clear();
    verified.add(key);
    return user;
  };
}
