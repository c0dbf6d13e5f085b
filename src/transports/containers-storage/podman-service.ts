import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError, abortError } from '../../errors.ts';
import type { StorageSpec } from '../../ref/containers-storage-ref.ts';
import { childExited, stopChild } from '../../util/stop-child.ts';
import { EngineClient, type EngineEndpoint, type EngineProduct } from '../docker-daemon/index.ts';

/** Up to 15 s for the service to answer: it opens the store and its database first, slower on a loaded machine. */
const READY_ATTEMPTS = 300;
const READY_INTERVAL_MS = 50;
/** A service asked to stop gets this long before it is killed. */
const STOP_GRACE_MS = 5000;
/** Lines of the service's stderr kept for error messages. */
const STDERR_LINES = 20;

/** A `podman system service` ferry started for one store, on a socket in a private temp directory. */
export interface PodmanService {
  endpoint: EngineEndpoint;
  stop(): Promise<void>;
}

/** The executable `name` on PATH (or /usr/bin, /usr/sbin), else undefined. */
export function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of [...(env['PATH'] ?? '').split(delimiter).filter(Boolean), '/usr/bin', '/usr/sbin']) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Podman's global flags naming a store; unset parts stay with storage.conf, as Podman reads it. */
export function storeFlags(store: StorageSpec | undefined): string[] {
  if (!store) return [];
  return [
    ...(store.driver !== undefined ? ['--storage-driver', store.driver] : []),
    ...(store.root !== undefined ? ['--root', store.root] : []),
    ...(store.runRoot !== undefined ? ['--runroot', store.runRoot] : []),
    ...(store.options ?? []).flatMap((o) => ['--storage-opt', o]),
  ];
}

/**
 * Starts `podman [STORE FLAGS] system service --time 0 unix://DIR/podman.sock`
 * and waits (bounded) until it answers. The service dies with ferry: it is
 * stopped by {@link PodmanService.stop}, killed when the process exits, and,
 * where util-linux's setpriv exists, killed by the kernel if ferry itself is
 * killed. Its stderr is kept for the error when it does not come up (a store
 * it cannot open, a driver that differs from the store's).
 */
export async function startPodmanService(options: { store?: StorageSpec | undefined; env?: NodeJS.ProcessEnv | undefined; product: EngineProduct; signal?: AbortSignal | undefined }): Promise<PodmanService> {
  const env = options.env ?? process.env;
  const podman = findProgram('podman', env);
  if (podman === undefined) {
    throw new FerryError('UNSUPPORTED', 'containers-storage: needs Podman: ferry reads and writes containers/storage through Podman\'s API service, and podman is not on PATH', {
      hint: 'install podman (apt-get install podman, dnf install podman), or set CONTAINER_HOST to a running Podman service',
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'ferry-podman-'));
  const socketPath = join(dir, 'podman.sock');
  const args = [...storeFlags(options.store), 'system', 'service', '--time', '0', `unix://${socketPath}`];
  const setpriv = findProgram('setpriv', env);
  const [command, argv] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', podman, ...args]] : [podman, args];
  // The service runs on this machine's store: variables that would make podman a remote client go.
  const localEnv = Object.fromEntries(Object.entries(env).filter(([key]) => key !== 'CONTAINER_HOST' && key !== 'CONTAINER_CONNECTION'));
  const child = spawn(command, argv, { stdio: ['ignore', 'ignore', 'pipe'], env: localEnv });
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    stderr.push(...text.split('\n').filter((l) => l.trim() !== ''));
    stderr.splice(0, Math.max(0, stderr.length - STDERR_LINES));
  });
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const killOnExit = (): void => {
    if (!childExited(child)) child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const endpoint: EngineEndpoint = { kind: 'unix', socketPath, display: `unix://${socketPath}` };
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    await stopChild(child, STOP_GRACE_MS);
    await rm(dir, { recursive: true, force: true });
  };
  const probe = new EngineClient(endpoint, options.product);
  try {
    for (let i = 0; ; i++) {
      if (options.signal?.aborted) throw abortError(options.signal);
      if (spawnError) throw new FerryError('UNSUPPORTED', `containers-storage: cannot run ${podman}: ${spawnError.message}`, { cause: spawnError });
      if (childExited(child)) {
        throw new FerryError('DAEMON', `containers-storage: podman system service exited at start (${child.exitCode ?? child.signalCode}): ${stderr.join(' / ') || 'no message'}`, {
          hint: 'check that podman can open the store: podman [--root …] images',
        });
      }
      const answered = await probe.request({ method: 'GET', path: '/v4.0.0/libpod/_ping' }).then(
        (res) => {
          res.body.resume();
          return res.status === 200;
        },
        () => false,
      );
      if (answered) return { endpoint, stop };
      if (i + 1 >= READY_ATTEMPTS) {
        throw new FerryError('DAEMON', `containers-storage: podman system service did not answer on ${socketPath} within ${(READY_ATTEMPTS * READY_INTERVAL_MS) / 1000} s: ${stderr.join(' / ') || 'no message'}`);
      }
      await sleep(READY_INTERVAL_MS);
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    await probe.close();
  }
}
