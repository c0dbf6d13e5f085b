import { configError } from './yaml-reader.ts';
import type { Origin } from './sync-spec.ts';

/** The environment variables a config may reference (process.env in the CLI, a plain object in tests). */
export type Environment = Readonly<Record<string, string | undefined>>;

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Replaces `${NAME}` with the variable's value; `$$` is a literal `$`. With
 * `bare` (image-syncer's auth files, which use Go's os.ExpandEnv) `$NAME`
 * works too. A `$` followed by anything else stays as it is.
 *
 * @throws FerryError `INVALID_CONFIG` at `origin` naming an unset variable or an
 * unterminated `${`, never the value.
 */
export function expandEnv(value: string, env: Environment, origin: Origin, options: { bare?: boolean } = {}): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf('$', i);
    if (dollar === -1) break;
    out += value.slice(i, dollar);
    const next = value[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const close = value.indexOf('}', dollar + 2);
      const name = close === -1 ? '' : value.slice(dollar + 2, close);
      if (close === -1 || !isName(name)) {
        throw configError(origin, 'malformed variable reference: expected ${NAME} with NAME of letters, digits and "_"', 'write $$ for a literal "$"');
      }
      out += lookup(name, env, origin);
      i = close + 1;
    } else if (options.bare === true && next !== undefined && /[A-Za-z_]/.test(next)) {
      NAME.lastIndex = dollar + 1;
      const name = NAME.exec(value)![0];
      out += lookup(name, env, origin);
      i = dollar + 1 + name.length;
    } else {
      out += '$';
      i = dollar + 1;
    }
  }
  return out + value.slice(i);
}

function isName(name: string): boolean {
  NAME.lastIndex = 0;
  const m = NAME.exec(name);
  return m !== null && m[0] === name;
}

function lookup(name: string, env: Environment, origin: Origin): string {
  const value = env[name];
  if (value === undefined) {
    throw configError(origin, `environment variable ${name} is not set`, `export ${name}=… before running ferry, or write the value in the file`);
  }
  return value;
}
