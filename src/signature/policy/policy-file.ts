import { homedir } from 'node:os';
import { join } from 'node:path';
import { FerryError } from '../../errors.ts';
import { signatureDebug } from '../../util/debug-channels.ts';
import { readSmallFileIfPresent } from '../../util/regular-file.ts';
import type { PolicyFile } from './policy-format.ts';

/** The system-wide policy, read when the user has none (containers-policy.json(5)). */
export const SYSTEM_POLICY_PATH = '/etc/containers/policy.json';
/** The per-user policy, relative to $HOME; it wins over the system one. */
export const USER_POLICY_PATH = '.config/containers/policy.json';
/** A policy is a short JSON document; anything this large is not one. */
const MAX_POLICY_BYTES = 4 * 1024 * 1024;

/** The policy in force and where it came from. */
export interface LoadedPolicy {
  /** The file read, absent with `--insecure-policy` or when no file exists. */
  path?: string | undefined;
  /** The parsed policy; undefined means every image is accepted. */
  policy: PolicyFile | undefined;
  /** Why: a file was read, `--insecure-policy` was given, or no policy file exists anywhere. */
  origin: 'file' | 'insecure' | 'none';
}

export interface LoadPolicyOptions {
  /** `--policy FILE`; it must exist. */
  path?: string | undefined;
  /** `--insecure-policy`: accept anything, read nothing. */
  insecure?: boolean | undefined;
  /** Environment for HOME (default: the process's). */
  env?: NodeJS.ProcessEnv | undefined;
  /** The system-wide file (default {@link SYSTEM_POLICY_PATH}); tests point it elsewhere. */
  systemPath?: string | undefined;
}

/** The policy format (zod and every schema) loads only when there is a file to parse: `--insecure-policy` runs start without it. */
async function parsePolicyText(text: string, file: string): Promise<PolicyFile> {
  const { parsePolicy } = await import('./policy-parse.ts');
  return parsePolicy(text, file);
}

async function readIfPresent(path: string): Promise<string | undefined> {
  return (await readSmallFileIfPresent(path, { what: 'policy file', maxBytes: MAX_POLICY_BYTES }))?.toString('utf8');
}

/**
 * Finds and loads the signature policy as skopeo does: `--policy FILE`, else
 * `$HOME/.config/containers/policy.json`, else `/etc/containers/policy.json`.
 * Where no file exists at all, every image is accepted (said on the debug
 * channel) instead of failing as skopeo does.
 *
 * @throws FerryError `INVALID_CONFIG` for a missing `--policy` file or an invalid policy.
 */
export async function loadPolicy(options: LoadPolicyOptions = {}): Promise<LoadedPolicy> {
  if (options.insecure) {
    signatureDebug('--insecure-policy: every image is accepted without a policy check');
    return { policy: undefined, origin: 'insecure' };
  }
  if (options.path !== undefined) {
    const text = await readIfPresent(options.path);
    if (text === undefined) throw new FerryError('INVALID_CONFIG', `policy file ${options.path} does not exist`, { hint: 'give an existing file to --policy' });
    signatureDebug(`signature policy: ${options.path}`);
    return { path: options.path, policy: await parsePolicyText(text, options.path), origin: 'file' };
  }
  const home = options.env?.['HOME'] ?? homedir();
  const system = options.systemPath ?? SYSTEM_POLICY_PATH;
  for (const path of [join(home, USER_POLICY_PATH), system]) {
    const text = await readIfPresent(path);
    if (text === undefined) continue;
    signatureDebug(`signature policy: ${path}`);
    return { path, policy: await parsePolicyText(text, path), origin: 'file' };
  }
  signatureDebug(`no signature policy (${join(home, USER_POLICY_PATH)}, ${system}): every image is accepted`);
  return { policy: undefined, origin: 'none' };
}
