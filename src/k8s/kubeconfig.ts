import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { FerryError } from '../errors.ts';
import { readSmallFile, readSmallFileIfPresent } from '../util/regular-file.ts';

/**
 * Reading a kubeconfig as kubectl and oc do: `--kubeconfig FILE`, else the
 * files of `KUBECONFIG` (first file wins for each name and for
 * current-context), else `~/.kube/config`; then one context's cluster and
 * user. Relative file paths are relative to the kubeconfig that names them.
 */

/** kubeconfigs, tokens and certificates are a few KiB; this bounds a path that names something else. */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;

const NamedCluster = z.object({
  name: z.string(),
  cluster: z.object({
    server: z.string().min(1),
    'certificate-authority': z.string().optional(),
    'certificate-authority-data': z.string().optional(),
    'insecure-skip-tls-verify': z.boolean().optional(),
    'tls-server-name': z.string().optional(),
  }),
});

const NamedUser = z.object({
  name: z.string(),
  user: z
    .object({
      token: z.string().optional(),
      tokenFile: z.string().optional(),
      'client-certificate': z.string().optional(),
      'client-certificate-data': z.string().optional(),
      'client-key': z.string().optional(),
      'client-key-data': z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      exec: z.unknown().optional(),
      'auth-provider': z.unknown().optional(),
    })
    .nullish(),
});

const NamedContext = z.object({
  name: z.string(),
  context: z.object({ cluster: z.string(), user: z.string().optional(), namespace: z.string().optional() }),
});

const KubeconfigSchema = z.object({
  clusters: z.array(NamedCluster).nullish(),
  users: z.array(NamedUser).nullish(),
  contexts: z.array(NamedContext).nullish(),
  'current-context': z.string().nullish(),
});

/** How to reach and authenticate to one cluster's API server. Holds secrets: never print it. */
export interface ClusterConnection {
  context: string;
  /** `https://api.example.com:6443`, without a trailing slash. */
  server: string;
  /** PEM CAs to trust (added to the defaults). */
  ca?: string | undefined;
  insecureSkipTlsVerify: boolean;
  servername?: string | undefined;
  token?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export interface KubeconfigOptions {
  /** `--kubeconfig`. */
  file?: string | undefined;
  /** `--context`; default the current context. */
  context?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  signal?: AbortSignal | undefined;
}

type Named<T> = { name: string; file: string } & T;

/**
 * The connection for one context.
 *
 * @throws FerryError `INVALID_CONFIG` naming the file for an unreadable or invalid kubeconfig, an unknown context or an
 *   authentication method ferry cannot use (exec plugins, auth providers).
 */
export async function readKubeconfig(options: KubeconfigOptions = {}): Promise<ClusterConnection> {
  const env = options.env ?? process.env;
  const files = options.file !== undefined ? [options.file] : env['KUBECONFIG'] ? env['KUBECONFIG'].split(delimiter).filter((f) => f !== '') : [join(env['HOME'] ?? homedir(), '.kube', 'config')];
  const clusters = new Map<string, Named<z.infer<typeof NamedCluster>>>();
  const users = new Map<string, Named<z.infer<typeof NamedUser>>>();
  const contexts = new Map<string, Named<z.infer<typeof NamedContext>>>();
  let current: string | undefined;
  let read = 0;
  for (const file of files) {
    const small = { what: 'kubeconfig', maxBytes: MAX_KUBECONFIG_BYTES, missingCode: 'INVALID_CONFIG' as const, signal: options.signal };
    // KUBECONFIG may list files that do not exist yet, as kubectl allows; an explicit --kubeconfig must exist.
    const bytes = options.file === undefined ? await readSmallFileIfPresent(file, small) : await readSmallFile(file, small);
    if (bytes === undefined) continue;
    const textContent = bytes.toString('utf8');
    read++;
    let json: unknown;
    try {
      json = parse(textContent);
    } catch (cause) {
      throw new FerryError('INVALID_CONFIG', `kubeconfig ${file} is not YAML: ${(cause as Error).message}`, { cause });
    }
    const parsed = KubeconfigSchema.safeParse(json ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new FerryError('INVALID_CONFIG', `kubeconfig ${file}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    const k = parsed.data;
    for (const c of k.clusters ?? []) if (!clusters.has(c.name)) clusters.set(c.name, { ...c, file });
    for (const u of k.users ?? []) if (!users.has(u.name)) users.set(u.name, { ...u, file });
    for (const c of k.contexts ?? []) if (!contexts.has(c.name)) contexts.set(c.name, { ...c, file });
    current ??= k['current-context'] ?? undefined;
  }
  const where = files.join(delimiter);
  if (read === 0) throw new FerryError('INVALID_CONFIG', `no kubeconfig found (${where})`, { hint: 'log in with oc login / kubectl, or pass --kubeconfig FILE' });
  const name = options.context ?? current;
  if (name === undefined || name === '') throw new FerryError('INVALID_CONFIG', `kubeconfig ${where} has no current-context`, { hint: 'pass --context NAME' });
  const context = contexts.get(name);
  if (!context) throw new FerryError('INVALID_CONFIG', `kubeconfig ${where} has no context "${name}"`, { hint: `contexts: ${[...contexts.keys()].join(', ') || 'none'}` });
  const cluster = clusters.get(context.context.cluster);
  if (!cluster) throw new FerryError('INVALID_CONFIG', `kubeconfig ${context.file}: context "${name}" names cluster "${context.context.cluster}", which is not defined`);
  const user = context.context.user !== undefined ? users.get(context.context.user) : undefined;
  if (context.context.user !== undefined && !user) {
    throw new FerryError('INVALID_CONFIG', `kubeconfig ${context.file}: context "${name}" names user "${context.context.user}", which is not defined`);
  }

  const c = cluster.cluster;
  const u = user?.user ?? {};
  if (u.exec !== undefined || u['auth-provider'] !== undefined) {
    throw new FerryError('INVALID_CONFIG', `kubeconfig ${user!.file}: user "${user!.name}" authenticates through an ${u.exec !== undefined ? 'exec plugin' : 'auth provider'}, which ferry does not run`, {
      hint: 'use a token: ferry k8s registry-info --kubeconfig FILE with a user that has `token:` (oc whoami -t prints one), or read an export directory instead',
    });
  }
  const relative = (path: string, file: string) => (isAbsolute(path) ? path : resolve(dirname(file), path));
  const fileText = async (path: string, file: string, what: string) => {
    try {
      return (await readSmallFile(relative(path, file), { what, maxBytes: MAX_KUBECONFIG_BYTES, signal: options.signal })).toString('utf8');
    } catch (cause) {
      // The guard's message names the file and what is wrong with it.
      throw new FerryError('INVALID_CONFIG', `kubeconfig ${file}: ${(cause as Error).message}`, { cause });
    }
  };
  const decode = (data: string) => Buffer.from(data, 'base64').toString('utf8');
  return {
    context: name,
    server: c.server.replace(/\/+$/, ''),
    ca: c['certificate-authority-data'] !== undefined ? decode(c['certificate-authority-data']) : c['certificate-authority'] !== undefined ? await fileText(c['certificate-authority'], cluster.file, 'certificate-authority') : undefined,
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    servername: c['tls-server-name'],
    token: u.token ?? (u.tokenFile !== undefined ? (await fileText(u.tokenFile, user!.file, 'tokenFile')).trim() : undefined),
    username: u.username,
    password: u.password,
    cert: u['client-certificate-data'] !== undefined ? decode(u['client-certificate-data']) : u['client-certificate'] !== undefined ? await fileText(u['client-certificate'], user!.file, 'client-certificate') : undefined,
    key: u['client-key-data'] !== undefined ? decode(u['client-key-data']) : u['client-key'] !== undefined ? await fileText(u['client-key'], user!.file, 'client-key') : undefined,
  };
}
