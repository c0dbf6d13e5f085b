import { homedir } from 'node:os';
import { join } from 'node:path';
import { readSmallFile, readSmallFileIfPresent } from '../../util/regular-file.ts';
import { FerryError } from '../../errors.ts';

/** Where Docker listens when neither `--src-daemon-host` nor `DOCKER_HOST` says otherwise. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';
/** Docker's ports for plain and TLS TCP when the host omits one. */
const DOCKER_TCP_PORT = 2375;
const DOCKER_TLS_PORT = 2376;

/** TLS material for a TCP engine, as docker reads it from `DOCKER_CERT_PATH`; the server is always verified (system CAs without `ca.pem`). */
export interface EngineTls {
  ca?: Buffer | undefined;
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
}

/** How to reach a container engine's API (Docker or Podman). */
export type EngineEndpoint =
  | { kind: 'unix'; socketPath: string; display: string }
  | { kind: 'tcp'; origin: string; tls: EngineTls | undefined; display: string };

export interface EngineHostOptions {
  /** What the user named the host with, for messages (`--src-daemon-host`, `DOCKER_HOST`, `CONTAINER_HOST`). */
  source: string;
  /** Use TLS on `tcp://` and verify the server against `certPath/ca.pem` (`DOCKER_TLS_VERIFY`). */
  tlsVerify?: boolean | undefined;
  /** Directory with `ca.pem`, `cert.pem`, `key.pem` (`DOCKER_CERT_PATH`, default `~/.docker`). */
  certPath?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** A certificate or key is a few KiB; this bounds a path that names something else. */
const MAX_PEM_BYTES = 1024 * 1024;

async function readPem(dir: string, name: string, required: boolean, signal: AbortSignal | undefined): Promise<Buffer | undefined> {
  const options = { what: "daemon's TLS file", maxBytes: MAX_PEM_BYTES, missingCode: 'INVALID_CONFIG' as const, signal };
  try {
    return required ? await readSmallFile(join(dir, name), options) : await readSmallFileIfPresent(join(dir, name), options);
  } catch (error) {
    throw new FerryError('INVALID_CONFIG', (error as Error).message, { hint: 'DOCKER_CERT_PATH names a directory with ca.pem, cert.pem and key.pem', cause: error });
  }
}

async function tlsFrom(options: EngineHostOptions): Promise<EngineTls> {
  const dir = options.certPath ?? join(homedir(), '.docker');
  // DOCKER_TLS_VERIFY promises a CA of its own, as docker requires; https:// alone may rely on the system's.
  const ca = await readPem(dir, 'ca.pem', options.tlsVerify === true, options.signal);
  return { ca, cert: await readPem(dir, 'cert.pem', false, options.signal), key: await readPem(dir, 'key.pem', false, options.signal) };
}

/**
 * Reads a daemon host as docker's CLI does: `unix:///path/docker.sock`,
 * `tcp://host[:port]` (TLS when `tlsVerify`), `http://` and `https://`.
 *
 * @throws FerryError `USAGE` for `ssh://`, `npipe://`, `fd://` and anything
 * else ferry cannot connect to, naming where the host came from.
 */
export async function parseEngineHost(host: string, options: EngineHostOptions): Promise<EngineEndpoint> {
  const bad = (why: string, hint = 'e.g. unix:///var/run/docker.sock or tcp://127.0.0.1:2376'): FerryError =>
    new FerryError('USAGE', `${options.source} "${host}": ${why}`, { hint });
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//.exec(host)?.[1];
  if (scheme === undefined) throw bad('expected a URL such as unix:///PATH or tcp://HOST:PORT');
  if (scheme === 'unix') {
    const socketPath = host.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw bad('the socket path must be absolute (unix:///PATH)');
    return { kind: 'unix', socketPath, display: host };
  }
  if (scheme === 'ssh' || scheme === 'npipe' || scheme === 'fd') {
    throw bad(`${scheme}:// is not supported`, 'forward the socket (ssh -L /tmp/docker.sock:/var/run/docker.sock HOST) and use unix:///tmp/docker.sock');
  }
  if (scheme !== 'tcp' && scheme !== 'http' && scheme !== 'https') throw bad(`unknown scheme ${scheme}://`);
  let url: URL;
  try {
    url = new URL(`http://${host.slice(scheme.length + 3)}`);
  } catch {
    throw bad('not a valid host[:port]');
  }
  if (url.pathname !== '/' || url.search !== '' || url.username !== '') throw bad('only a host and a port may follow the scheme');
  const tls = scheme === 'https' || (scheme === 'tcp' && options.tlsVerify === true);
  const port = url.port !== '' ? url.port : String(tls ? DOCKER_TLS_PORT : DOCKER_TCP_PORT);
  return {
    kind: 'tcp',
    origin: `${tls ? 'https' : 'http'}://${url.hostname}:${port}`,
    tls: tls ? await tlsFrom(options) : undefined,
    display: host,
  };
}

/**
 * The Docker daemon to talk to: `host` (`--src-daemon-host`), else
 * `DOCKER_HOST` (with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`), else
 * {@link DEFAULT_DOCKER_HOST}.
 */
export function dockerEndpoint(options: { host?: string | undefined; env?: NodeJS.ProcessEnv | undefined; flag?: string | undefined; signal?: AbortSignal | undefined }): Promise<EngineEndpoint> {
  const env = options.env ?? process.env;
  const fromEnv = env['DOCKER_HOST'];
  const host = options.host ?? (fromEnv !== undefined && fromEnv !== '' ? fromEnv : DEFAULT_DOCKER_HOST);
  const source = options.host !== undefined ? (options.flag ?? 'daemon host') : fromEnv ? 'DOCKER_HOST' : 'the default daemon host';
  const certPath = env['DOCKER_CERT_PATH'];
  return parseEngineHost(host, {
    source,
    tlsVerify: (env['DOCKER_TLS_VERIFY'] ?? '') !== '',
    certPath: certPath !== undefined && certPath !== '' ? certPath : undefined,
    signal: options.signal,
  });
}
