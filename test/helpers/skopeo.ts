import { createHash } from 'node:crypto';
import { runChild } from './run-child.ts';
import { peerPath } from './peers.ts';

/**
 * skopeo 1.9 as the independent peer. Every run passes the global
 * `--insecure-policy` (1.9 refuses to copy without a policy.json otherwise)
 * unless a test gives it a `policy` to enforce.
 */

/** Large copies on a shared 2-core box still finish well inside this. */
const DEFAULT_TIMEOUT_MS = 120_000;

export interface SkopeoResult {
  stdout: Buffer;
  stderr: string;
  code: number | null;
}

export interface SkopeoOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Extra environment, e.g. REGISTRY_AUTH_FILE or GNUPGHOME. */
  env?: Record<string, string>;
  /** A policy.json to enforce (global `--policy`) instead of `--insecure-policy`. */
  policy?: string;
  /** A registries.d directory (global `--registries.d`): where skopeo reads and writes lookaside signatures. */
  registriesD?: string;
}

const SECRET_FLAGS = new Set(['--creds', '--src-creds', '--dest-creds', '--password', '--registry-token', '--src-registry-token', '--dest-registry-token']);

/** The command line for messages, with credential values replaced. */
export function redactArgs(args: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf('=');
    if (eq > 0 && SECRET_FLAGS.has(arg.slice(0, eq))) out.push(`${arg.slice(0, eq)}=***`);
    else if (SECRET_FLAGS.has(arg)) {
      out.push(arg, '***');
      i++;
    } else out.push(arg);
  }
  return out.join(' ');
}

/** Runs `skopeo --insecure-policy ARGS…` (or `--policy FILE`) and collects its output; never throws for a non-zero exit. */
export function runSkopeo(args: readonly string[], options: SkopeoOptions = {}): Promise<SkopeoResult> {
  const global = [
    ...(options.policy !== undefined ? ['--policy', options.policy] : ['--insecure-policy']),
    ...(options.registriesD !== undefined ? ['--registries.d', options.registriesD] : []),
  ];
  return runChild(peerPath('skopeo'), [...global, ...args], {
    env: { ...process.env, ...options.env },
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: options.signal,
  });
}

/** Runs skopeo and throws (credentials redacted) unless it exits 0. */
export async function skopeo(args: readonly string[], options: SkopeoOptions = {}): Promise<SkopeoResult> {
  const result = await runSkopeo(args, options);
  if (result.code !== 0) {
    throw new Error(`skopeo ${redactArgs(args)} exited ${result.code}: ${result.stderr.trim()}`);
  }
  return result;
}

export interface SkopeoAccess {
  /** false adds `--tls-verify=false` (also lets skopeo fall back to plain HTTP). */
  tlsVerify?: boolean;
  /** `user:password`. */
  creds?: string;
  /** certs.d-style directory (`ca.crt`, `client.cert`, `client.key`). */
  certDir?: string;
}

function accessArgs(access: SkopeoAccess, prefix = ''): string[] {
  const args: string[] = [];
  if (access.tlsVerify !== undefined) args.push(`--${prefix}tls-verify=${access.tlsVerify}`);
  if (access.creds !== undefined) args.push(`--${prefix}creds=${access.creds}`);
  if (access.certDir !== undefined) args.push(`--${prefix}cert-dir=${access.certDir}`);
  return args;
}

/**
 * Digest of the manifest `ref` (e.g. `docker://127.0.0.1:5000/app:1`) points
 * at, hashed here from the bytes `skopeo inspect --raw` returns, so an index
 * is not resolved to one platform.
 */
export async function skopeoInspectDigest(ref: string, access: SkopeoAccess & SkopeoOptions = {}): Promise<string> {
  const { stdout } = await skopeo(['inspect', '--raw', ...accessArgs(access), ref], access);
  return `sha256:${createHash('sha256').update(stdout).digest('hex')}`;
}

/** The raw manifest bytes of `ref`, parsed. */
export async function skopeoInspectRaw(ref: string, access: SkopeoAccess & SkopeoOptions = {}): Promise<unknown> {
  const { stdout } = await skopeo(['inspect', '--raw', ...accessArgs(access), ref], access);
  return JSON.parse(stdout.toString('utf8'));
}

export interface SkopeoCopyAccess extends SkopeoOptions {
  src?: SkopeoAccess;
  dest?: SkopeoAccess;
}

/**
 * `skopeo copy [access flags] [extraArgs] SRC DST`; throws on failure. Pass
 * `--all` in extraArgs to copy every platform of an index.
 */
export function skopeoCopy(src: string, dst: string, extraArgs: readonly string[] = [], options: SkopeoCopyAccess = {}): Promise<SkopeoResult> {
  const args = ['copy', ...accessArgs(options.src ?? {}, 'src-'), ...accessArgs(options.dest ?? {}, 'dest-'), ...extraArgs, src, dst];
  return skopeo(args, options);
}
