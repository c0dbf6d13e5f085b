import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where `ferry serve` keeps its store when `--storage` is not given: the XDG
 * data directory (`$XDG_DATA_HOME`, else `~/.local/share`) + `ferry/registry`.
 * A relative XDG_DATA_HOME is ignored, as the XDG spec requires.
 */
export function defaultStorageDir(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const xdg = env['XDG_DATA_HOME'];
  const base = xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(home, '.local', 'share');
  return join(base, 'ferry', 'registry');
}
