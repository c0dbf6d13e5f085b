import { readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../errors.ts';
import type { ImageReference } from '../../ref/reference.ts';
import type { RegistryNamespace } from './registries-d-file.ts';
import { dockerScopes } from '../policy/policy-scopes.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import { signatureDebug } from '../../util/debug-channels.ts';

/**
 * containers-registries.d(5): where simple signing signatures of registry
 * images are read from and written to (a "lookaside" web server or
 * directory), and whether cosign `.sig` attachments are used. Every `*.yaml`
 * of the directory is merged; a namespace defined twice is an error.
 */

/** The system directory, used when the user has none. */
export const SYSTEM_REGISTRIES_D = '/etc/containers/registries.d';
/** The per-user directory, relative to $HOME; used instead of the system one when it exists. */
export const USER_REGISTRIES_D = '.config/containers/registries.d';
/** Where signatures go when nothing is configured: root's lookaside, as containers/image. */
export const ROOT_LOOKASIDE = '/var/lib/containers/sigstore';
/** The unprivileged user's default lookaside, relative to $HOME. */
export const USER_LOOKASIDE = '.local/share/containers/sigstore';
/** registries.d files are a few lines; anything this large is not one. */
const MAX_FILE_BYTES = 1024 * 1024;

/** The merged configuration of one registries.d directory. */
export interface RegistriesD {
  /** The directory read (undefined when none exists). */
  dir: string | undefined;
  defaultDocker: RegistryNamespace | undefined;
  docker: Map<string, RegistryNamespace>;
  env: NodeJS.ProcessEnv;
}

export interface LoadRegistriesDOptions {
  /** `--registries.d DIR`. */
  dir?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Reads and merges the registries.d directory: `--registries.d`, else
 * `~/.config/containers/registries.d` when it exists, else
 * `/etc/containers/registries.d`. A missing directory configures nothing.
 *
 * @throws FerryError `INVALID_CONFIG` naming the file (and key) of a malformed or conflicting entry.
 */
export async function loadRegistriesD(options: LoadRegistriesDOptions = {}): Promise<RegistriesD> {
  const env = options.env ?? process.env;
  const user = join(env['HOME'] ?? homedir(), USER_REGISTRIES_D);
  const dir = options.dir ?? ((await isDirectory(user)) ? user : SYSTEM_REGISTRIES_D);
  const config: RegistriesD = { dir: undefined, defaultDocker: undefined, docker: new Map(), env };
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.yaml')).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && options.dir === undefined) {
      signatureDebug(`registries.d: ${dir} does not exist; no lookaside configured`);
      return config;
    }
    throw new FerryError('INVALID_CONFIG', `cannot read registries.d directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
  config.dir = dir;
  signatureDebug(`registries.d: ${dir} (${names.length} file${names.length === 1 ? '' : 's'})`);
  let defaultFrom: string | undefined;
  const from = new Map<string, string>();
  for (const name of names) {
    const path = join(dir, name);
    const text = (await readSmallFile(path, { what: 'registries.d file', maxBytes: MAX_FILE_BYTES })).toString('utf8');
    // The file format (zod) loads only when there are files to read.
    const { parseRegistriesDFile } = await import('./registries-d-file.ts');
    const file = parseRegistriesDFile(text, path);
    if (file?.['default-docker']) {
      if (defaultFrom !== undefined) throw new FerryError('INVALID_CONFIG', `"default-docker" is defined both in ${defaultFrom} and ${path}`);
      config.defaultDocker = file['default-docker'];
      defaultFrom = path;
    }
    for (const [scope, ns] of Object.entries(file?.docker ?? {})) {
      const earlier = from.get(scope);
      if (earlier !== undefined) throw new FerryError('INVALID_CONFIG', `docker namespace "${scope}" is defined both in ${earlier} and ${path}`);
      from.set(scope, path);
      config.docker.set(scope, ns ?? {});
    }
  }
  return config;
}

/** The namespaces that apply to `ref`, most specific first, then default-docker. */
function namespacesFor(config: RegistriesD, ref: ImageReference): Array<[string, RegistryNamespace]> {
  const out: Array<[string, RegistryNamespace]> = [];
  for (const scope of dockerScopes(ref)) {
    const ns = config.docker.get(scope);
    if (ns !== undefined) out.push([`docker "${scope}"`, ns]);
  }
  if (config.defaultDocker) out.push(['default-docker', config.defaultDocker]);
  return out;
}

function topLevel(ns: RegistryNamespace, write: boolean): string | undefined {
  if (write) {
    if (ns['lookaside-staging']) return ns['lookaside-staging'];
    if (ns['sigstore-staging']) return ns['sigstore-staging'];
  }
  return ns.lookaside || ns.sigstore || undefined;
}

/** Where the lookaside for one repository is: the base URL (repository path appended) and whether it was configured. */
export interface LookasideBase {
  url: URL;
  configured: boolean;
}

/**
 * The lookaside base URL for reading (or, with `write`, staging) the
 * signatures of `ref`'s repository: the most specific namespace that names
 * one, else default-docker, else the built-in directory. The repository path
 * (without the registry host) is appended, as containers/image does.
 *
 * @throws FerryError `INVALID_CONFIG` for a URL that does not parse.
 */
export function lookasideBase(config: RegistriesD, ref: ImageReference, write: boolean): LookasideBase {
  let configured: string | undefined;
  for (const [where, ns] of namespacesFor(config, ref)) {
    configured = topLevel(ns, write);
    if (configured !== undefined) {
      signatureDebug(`lookaside for ${ref.registry}/${ref.repository}: ${where} → ${configured}`);
      break;
    }
  }
  let url: URL;
  if (configured !== undefined) {
    try {
      url = new URL(configured);
    } catch (error) {
      throw new FerryError('INVALID_CONFIG', `registries.d: invalid lookaside URL "${configured}"`, { cause: error });
    }
  } else {
    const root = process.geteuid?.() === 0;
    url = new URL(`file://${root ? ROOT_LOOKASIDE : join(config.env['HOME'] ?? homedir(), USER_LOOKASIDE)}`);
    signatureDebug(`lookaside for ${ref.registry}/${ref.repository}: none configured, using ${url.href}`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${ref.repository}`;
  return { url, configured: configured !== undefined };
}

/**
 * Whether cosign `.sig` attachments are read and written for `ref`:
 * `use-sigstore-attachments` of the most specific namespace that sets it.
 * Unset everywhere means true for ferry (containers/image defaults to false;
 * ferry reads and carries attachments unless told not to).
 */
export function useSigstoreAttachments(config: RegistriesD, ref: ImageReference): boolean {
  for (const [, ns] of namespacesFor(config, ref)) {
    const value = ns['use-sigstore-attachments'] ?? ns['use-cosign-attachments'];
    if (value !== undefined) return value;
  }
  return true;
}
