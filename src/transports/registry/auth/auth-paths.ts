import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where auth files live, from the environment (XDG base directories, DOCKER_CONFIG, REGISTRY_AUTH_FILE). No I/O. */

export interface AuthFileLocationOptions {
  /** `--authfile`: when given, the only file read (and the file written). */
  authFile?: string | undefined;
}

/** The legacy Docker file, whose top level is the `auths` map itself. */
export const LEGACY_DOCKERCFG = '.dockercfg';

/** The user's home as the environment says, so tests and sudo'ed runs can redirect it. */
export function homeDir(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

/** `$XDG_CONFIG_HOME`, or `~/.config` when unset (XDG base directory rules). */
export function configHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  return xdg !== undefined && xdg !== '' ? xdg : join(homeDir(env), '.config');
}

/**
 * Auth files in the order containers-auth.json reads them: `--authfile` or
 * `$REGISTRY_AUTH_FILE` alone when given; otherwise
 * `$XDG_RUNTIME_DIR/containers/auth.json`, `$XDG_CONFIG_HOME/containers/auth.json`
 * (`~/.config/…`), `$DOCKER_CONFIG/config.json` (`~/.docker/config.json`) and
 * Docker's legacy `~/.dockercfg`.
 */
export function authFileCandidates(env: NodeJS.ProcessEnv = process.env, options: AuthFileLocationOptions = {}): string[] {
  const explicit = options.authFile ?? nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit !== undefined) return [explicit];
  const files: string[] = [];
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
  if (runtime !== undefined) files.push(join(runtime, 'containers', 'auth.json'));
  files.push(join(configHome(env), 'containers', 'auth.json'));
  const dockerConfig = nonEmpty(env.DOCKER_CONFIG);
  files.push(join(dockerConfig ?? join(homeDir(env), '.docker'), 'config.json'));
  files.push(join(homeDir(env), LEGACY_DOCKERCFG));
  return [...new Set(files)];
}

/**
 * Files `login` / `logout` may write, in order of preference: `--authfile` or
 * `$REGISTRY_AUTH_FILE` alone when given; otherwise
 * `$XDG_RUNTIME_DIR/containers/auth.json`, then `$XDG_CONFIG_HOME/containers/auth.json`.
 * Docker's files are only read, never written.
 */
export function primaryAuthFiles(env: NodeJS.ProcessEnv = process.env, options: AuthFileLocationOptions = {}): string[] {
  const explicit = options.authFile ?? nonEmpty(env.REGISTRY_AUTH_FILE);
  if (explicit !== undefined) return [explicit];
  const runtime = nonEmpty(env.XDG_RUNTIME_DIR);
  const files = runtime === undefined ? [] : [join(runtime, 'containers', 'auth.json')];
  files.push(join(configHome(env), 'containers', 'auth.json'));
  return files;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
