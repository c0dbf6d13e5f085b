import { spawn, type ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { childExited, stopChild } from '../../src/util/stop-child.ts';
import { trackChild, type AfterHook } from './cleanup.ts';
import { findPeer, peerPath } from './peers.ts';
import { freePort } from './ports.ts';
import { removeTempDir, tempDir } from './tmp.ts';

export { requirePeer } from './peers.ts';

/**
 * Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 with a
 * generated config, for tests that need a real registry peer.
 */

/** 100 × 100 ms: the registry is up in well under a second on a loaded 2-core box. */
const READY_ATTEMPTS = 100;
const READY_INTERVAL_MS = 100;
/** Another process may grab the port between freePort() and the registry's bind. */
const PORT_ATTEMPTS = 3;

export interface RegistryOptions {
  /** Serve HTTPS with these PEM files; `clientCAs` makes the registry demand client certificates. */
  tls?: { cert: string; key: string; clientCAs?: string[] };
  /** Basic auth: user → password, written with `htpasswd -Bbn`. */
  htpasswd?: Record<string, string>;
  /** Token auth; the caller runs the token server. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
  /** Extra config merged (deeply) over the generated one: `proxy`, `validation`, `http.headers`… */
  config?: Record<string, unknown>;
  /** Existing storage directory, e.g. to restart a registry over the same data. */
  dataDir?: string;
  /** Registry log level; `info` and `debug` also turn on the access log. */
  logLevel?: 'error' | 'warn' | 'info' | 'debug';
  /** Stops the registry and removes its temp dir after this test (else at process exit). */
  t?: AfterHook;
}

export interface RunningRegistry {
  /** `127.0.0.1:PORT`, the host part of image references. */
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT` or `https://…`. */
  url: string;
  /** Filesystem storage root. */
  dataDir: string;
  /** Generated config.yml and the captured stdout/stderr. */
  configPath: string;
  logPath: string;
  readLog(): Promise<string>;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge where `over` wins; arrays and scalars are replaced, not merged. */
export function mergeConfig(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isPlainObject(current) && isPlainObject(value) ? mergeConfig(current, value) : value;
  }
  return out;
}

export async function writeHtpasswd(path: string, users: Record<string, string>): Promise<void> {
  const run = promisify(execFile);
  const lines: string[] = [];
  for (const [user, password] of Object.entries(users)) {
    // -B: bcrypt is the only hash distribution accepts.
    const { stdout } = await run(peerPath('htpasswd'), ['-Bbn', user, password]);
    lines.push(stdout.trim());
  }
  await writeFile(path, `${lines.join('\n')}\n`, { mode: 0o600 });
}

function buildConfig(options: RegistryOptions, dataDir: string, port: number, htpasswdPath: string | undefined): Json {
  const verbose = options.logLevel !== undefined && options.logLevel !== 'error' && options.logLevel !== 'warn';
  const http: Json = { addr: `127.0.0.1:${port}`, secret: randomBytes(16).toString('hex') };
  if (options.tls) {
    http['tls'] = { certificate: options.tls.cert, key: options.tls.key, ...(options.tls.clientCAs ? { clientcas: options.tls.clientCAs } : {}) };
  }
  const config: Json = {
    version: 0.1,
    log: { level: options.logLevel ?? 'error', accesslog: { disabled: !verbose } },
    storage: {
      filesystem: { rootdirectory: dataDir },
      delete: { enabled: true },
      // Background purging only adds noise to short-lived test registries.
      maintenance: { uploadpurging: { enabled: false } },
    },
    http,
  };
  if (htpasswdPath !== undefined) config['auth'] = { htpasswd: { realm: 'ferry-test', path: htpasswdPath } };
  if (options.token) {
    const { realm, service, issuer, rootCertBundle } = options.token;
    config['auth'] = { token: { realm, service, issuer, rootcertbundle: rootCertBundle } };
  }
  return options.config ? mergeConfig(config, options.config) : config;
}

/** Environment without REGISTRY_* variables, which would override the generated config. */
function registryEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('REGISTRY_')));
}

function spawnRegistry(binary: string, configPath: string, logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  try {
    // setpriv --pdeathsig makes the kernel kill the registry even if this test process is SIGKILLed.
    const setpriv = findPeer('setpriv');
    const [cmd, args] = setpriv ? [setpriv, ['--pdeathsig', 'KILL', '--', binary, 'serve', configPath]] : [binary, ['serve', configPath]];
    const child = spawn(cmd, args, { stdio: ['ignore', log, log], env: registryEnv() });
    trackChild(child);
    return child;
  } finally {
    closeSync(log);
  }
}

/** One GET /v2/: the HTTP status, or the error code when there was no HTTP answer. */
function probe(url: string, tls: RegistryOptions['tls']): Promise<number | string> {
  return new Promise((resolve) => {
    const options = { method: 'GET', timeout: 2000, ...(tls ? { rejectUnauthorized: false } : {}) };
    const req = (tls ? httpsRequest : httpRequest)(`${url}/v2/`, options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

/** A registry asked to stop gets this long before it is killed. */
const STOP_GRACE_MS = 3000;

/**
 * Starts a registry and waits until `GET /v2/` answers 200 or 401 (or, with
 * client certificates required, until the TLS listener is up). Fails with the
 * registry's log when it does not come up.
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RunningRegistry> {
  const binary = peerPath('docker-registry');
  const dir = await tempDir('ferry-registry');
  const dataDir = options.dataDir ?? join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const htpasswdPath = options.htpasswd ? join(dir, 'htpasswd') : undefined;
  if (options.htpasswd && htpasswdPath) await writeHtpasswd(htpasswdPath, options.htpasswd);
  const configPath = join(dir, 'config.yml');
  const logPath = join(dir, 'registry.log');
  const scheme = options.tls ? 'https' : 'http';
  const mtls = (options.tls?.clientCAs?.length ?? 0) > 0;

  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    await writeFile(configPath, stringify(buildConfig(options, dataDir, port, htpasswdPath)));
    const child = spawnRegistry(binary, configPath, logPath);
    const url = `${scheme}://127.0.0.1:${port}`;
    let last: number | string = 'not tried';
    for (let i = 0; i < READY_ATTEMPTS && !childExited(child); i++) {
      last = await probe(url, options.tls);
      if (last === 200 || last === 401) break;
      // Without a client certificate the handshake fails, but only a listening server can fail it.
      if (mtls && typeof last === 'string' && last !== 'ECONNREFUSED') break;
      await sleep(READY_INTERVAL_MS);
    }
    const log = await readFile(logPath, 'utf8').catch(() => '');
    if (childExited(child)) {
      if (attempt < PORT_ATTEMPTS && /address already in use/i.test(log)) continue;
      throw new Error(`docker-registry exited during startup (code ${child.exitCode ?? child.signalCode}); log ${logPath}:\n${log}`);
    }
    const ready = last === 200 || last === 401 || (mtls && typeof last === 'string' && last !== 'ECONNREFUSED');
    if (!ready) {
      await stopChild(child, STOP_GRACE_MS);
      throw new Error(`docker-registry did not answer GET ${url}/v2/ after ${READY_ATTEMPTS} tries (last: ${last}); log ${logPath}:\n${log}`);
    }
    const registry: RunningRegistry = {
      host: `127.0.0.1:${port}`,
      port,
      url,
      dataDir,
      configPath,
      logPath,
      readLog: () => readFile(logPath, 'utf8'),
      stop: () => stopChild(child, STOP_GRACE_MS),
    };
    // One hook, so the registry stops before its directory goes.
    options.t?.after(async () => {
      await registry.stop();
      await removeTempDir(dir);
    });
    return registry;
  }
}
