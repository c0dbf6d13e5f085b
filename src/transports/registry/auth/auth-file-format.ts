import { FerryError } from '../../../errors.ts';
import { readSmallFileIfPresent } from '../../../util/regular-file.ts';
import type { Credentials } from './credentials.ts';

/**
 * One entry of `auths`. containers-auth.json writes `auth` (base64 of
 * `user:password`); Docker may add `identitytoken`, `registrytoken`, or
 * (very old files) plain `username` / `password`. Other fields are kept.
 */
export interface AuthEntry {
  auth?: string;
  identitytoken?: string;
  registrytoken?: string;
  username?: string;
  password?: string;
  [field: string]: unknown;
}

/** What ferry reads from an auth file. `document` is the whole parsed object, for rewriting it without losing keys. */
export interface AuthFileContent {
  path: string;
  auths: Record<string, AuthEntry>;
  credHelpers: Record<string, string>;
  credsStore: string | undefined;
  document: Record<string, unknown>;
}

export interface ReadAuthFileOptions {
  /** `~/.dockercfg` format: the file is the `auths` map itself. */
  legacy?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** Auth files hold a few entries; this bounds a path that names something else. */
const MAX_AUTH_FILE_BYTES = 4 * 1024 * 1024;

/** Reads and validates an auth file; undefined when it does not exist. */
export async function readAuthFile(path: string, options: ReadAuthFileOptions = {}): Promise<AuthFileContent | undefined> {
  const bytes = await readSmallFileIfPresent(path, { what: 'auth file', maxBytes: MAX_AUTH_FILE_BYTES, signal: options.signal });
  return bytes === undefined ? undefined : parseAuthFile(bytes.toString('utf8'), path, options.legacy ?? false);
}

/**
 * Validates the text of an auth file. An empty file counts as no entries
 * (tools create it that way). Errors name the file and the field, never a value.
 */
export function parseAuthFile(text: string, path: string, legacy = false): AuthFileContent {
  let document: unknown = {};
  if (text.trim() !== '') {
    try {
      document = JSON.parse(text);
    } catch (error) {
      // The parser's message quotes the text around the error, which may be a password: only the position is kept.
      throw new FerryError('INVALID_CONFIG', `auth file ${path} is not valid JSON${jsonErrorPosition(text, error)}`, {
        hint: 'fix or remove the file, or point --authfile elsewhere',
      });
    }
  }
  if (!isRecord(document)) throw invalid(path, 'the top level must be a JSON object');
  if (legacy) {
    return { path, auths: checkAuths(document, path, ''), credHelpers: {}, credsStore: undefined, document };
  }
  const auths = document.auths === undefined ? {} : checkAuths(document.auths, path, 'auths');
  const credHelpers: Record<string, string> = {};
  if (document.credHelpers !== undefined) {
    if (!isRecord(document.credHelpers)) throw invalid(path, '"credHelpers" must be an object');
    for (const [key, value] of Object.entries(document.credHelpers)) {
      if (typeof value !== 'string') throw invalid(path, `credHelpers["${key}"] must be a string`);
      credHelpers[key] = value;
    }
  }
  const store = document.credsStore;
  if (store !== undefined && typeof store !== 'string') throw invalid(path, '"credsStore" must be a string');
  return { path, auths, credHelpers, credsStore: store === '' ? undefined : store, document };
}

const STRING_FIELDS = ['auth', 'identitytoken', 'registrytoken', 'username', 'password'] as const;

function checkAuths(value: unknown, path: string, field: string): Record<string, AuthEntry> {
  if (!isRecord(value)) throw invalid(path, field === '' ? 'the top level must be an object' : `"${field}" must be an object`);
  const auths: Record<string, AuthEntry> = {};
  for (const [key, entry] of Object.entries(value)) {
    const at = field === '' ? `entry "${key}"` : `${field}["${key}"]`;
    if (!isRecord(entry)) throw invalid(path, `${at} must be an object`);
    for (const name of STRING_FIELDS) {
      if (entry[name] !== undefined && typeof entry[name] !== 'string') throw invalid(path, `${at}.${name} must be a string`);
    }
    auths[key] = entry as AuthEntry;
  }
  return auths;
}

/**
 * The credentials an entry holds, or undefined for an entry that only marks
 * a registry (Docker writes `{}` when a credsStore keeps the secret). An
 * identity token wins over a password, as Docker uses it first.
 */
export function decodeAuthEntry(entry: AuthEntry, key: string, path: string): Credentials | undefined {
  const source = path;
  let username: string | undefined;
  let password: string | undefined;
  if (entry.auth !== undefined && entry.auth !== '') {
    const auth = entry.auth.trim();
    const decoded = /^[A-Za-z0-9+/_-]*={0,2}$/.test(auth) ? Buffer.from(auth, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    if (colon < 0) {
      throw new FerryError('INVALID_CONFIG', `auth file ${path}: the "auth" value of "${key}" is not base64 of "user:password"`, {
        hint: `log in again to ${key}, or fix the entry`,
      });
    }
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1);
  } else if (entry.username !== undefined && entry.password !== undefined) {
    username = entry.username;
    password = entry.password;
  }
  if (entry.identitytoken !== undefined && entry.identitytoken !== '') {
    return { kind: 'identity-token', identityToken: entry.identitytoken, username: username || undefined, source };
  }
  if (username !== undefined && password !== undefined && (username !== '' || password !== '')) {
    return { kind: 'basic', username, password, source };
  }
  if (entry.registrytoken !== undefined && entry.registrytoken !== '') {
    return { kind: 'registry-token', registryToken: entry.registrytoken, source };
  }
  return undefined;
}

/** The `auth` value for a user name and password. */
export function encodeBasicAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

function invalid(path: string, why: string): FerryError {
  return new FerryError('INVALID_CONFIG', `auth file ${path}: ${why}`, {
    hint: 'fix or remove the file, or point --authfile elsewhere',
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** How many characters V8 quotes on each side of an unexpected token. */
const SNIPPET_CONTEXT = 10;

/**
 * ` (line L column C)` from a JSON.parse error, without any of the text it
 * quotes. V8 gives either `at position N`, or a snippet around an unexpected
 * token, which is located in the text to find the position.
 */
function jsonErrorPosition(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  let position: number | undefined;
  const explicit = /position (\d+)/.exec(message);
  if (explicit) position = Number(explicit[1]);
  // The snippet shows up to SNIPPET_CONTEXT characters on each side of the token, with "..." where it was cut.
  const snippet = /^Unexpected token '([^]*?)', (\.\.\.)?"([^]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (position === undefined && snippet) {
    const [, token, cutBefore, shown, cutAfter] = snippet as unknown as [string, string, string | undefined, string, string | undefined];
    const at = text.indexOf(shown);
    const offset = cutBefore ? SNIPPET_CONTEXT : cutAfter ? shown.length - SNIPPET_CONTEXT : Math.max(0, shown.indexOf(token));
    if (at >= 0) position = at + offset;
  }
  if (position === undefined) return message.includes('end of JSON') ? ' (unexpected end)' : '';
  const before = text.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  return ` (line ${line} column ${column})`;
}
