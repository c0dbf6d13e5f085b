import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { childExited, stopChild } from '../../src/util/stop-child.ts';
import { trackChild, type AfterHook } from './cleanup.ts';
import { findPeer, peerPath } from './peers.ts';
import { pingSocket } from './socket-ping.ts';
import { freePort } from './ports.ts';
import { runChild, type ChildResult } from './run-child.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * A real Docker daemon (Debian's docker.io) for one test file, started as root
 * on a socket in a temp dir with its own data, exec root and config, no
 * networking and the vfs driver: it loads and saves images and runs nothing.
 * It never touches /var/run/docker.sock or /var/lib/docker, runs in a mount
 * namespace of its own (its mounts vanish with it), and the kernel kills it
 * (setpriv --pdeathsig) if the test process dies.
 */

/** 300 × 100 ms: dockerd starts its own containerd first, which takes seconds on a loaded 2-core box. */
const READY_ATTEMPTS = 300;
const READY_INTERVAL_MS = 100;
/** A daemon asked to stop gets this long to shut containerd down before it is killed. */
const STOP_GRACE_MS = 10_000;

export interface DockerdOptions {
  /** Also listen on TCP 127.0.0.1 with TLS, demanding client certificates signed by `ca`. */
  tls?: { ca: string; cert: string; key: string };
  t?: AfterHook;
}

export interface RunningDockerd {
  dir: string;
  /** `unix://DIR/docker.sock`, for DOCKER_HOST and `--src-daemon-host`. */
  host: string;
  socket: string;
  /** `tcp://127.0.0.1:PORT` when started with `tls`. */
  tcpHost?: string;
  /** The docker CLI against this daemon. */
  docker(args: readonly string[]): Promise<ChildResult>;
  readLog(): Promise<string>;
  stop(): Promise<void>;
}


export async function startDockerd(options: DockerdOptions = {}): Promise<RunningDockerd> {
  const dockerd = peerPath('dockerd');
  const dir = await tempDir('ferry-dockerd');
  // Other users may reach the socket only through its own mode (the permission test needs that).
  await chmod(dir, 0o755);
  const socket = join(dir, 'docker.sock');
  const configFile = join(dir, 'daemon.json');
  await writeFile(configFile, '{}\n');
  await mkdir(join(dir, 'data'));
  const args = [
    '--host', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'pid'),
    '--config-file', configFile, '--iptables=false', '--ip6tables=false', '--bridge=none', '--storage-driver=vfs',
  ];
  let tcpHost: string | undefined;
  if (options.tls) {
    tcpHost = `tcp://127.0.0.1:${await freePort()}`;
    args.push('--host', tcpHost, '--tlsverify', '--tlscacert', options.tls.ca, '--tlscert', options.tls.cert, '--tlskey', options.tls.key);
  }
  const logPath = join(dir, 'dockerd.log');
  const log = openSync(logPath, 'a');
  let child: ChildProcess;
  try {
    // A mount namespace of its own: dockerd bind-mounts its data root onto itself, and a daemon that is killed
    // (never unmounting) would otherwise leave that mount behind, and a temp dir nobody can remove.
    child = spawn(peerPath('setpriv'), ['--pdeathsig', 'KILL', '--', peerPath('unshare'), '--mount', '--propagation', 'private', '--', dockerd, ...args], {
      stdio: ['ignore', log, log],
      env: { ...process.env, DOCKER_HOST: undefined },
    });
    trackChild(child);
  } finally {
    closeSync(log);
  }
  const stop = (): Promise<void> => stopChild(child, STOP_GRACE_MS);
  let ready = false;
  for (let i = 0; i < READY_ATTEMPTS && !childExited(child); i++) {
    if (await pingSocket(socket, '/_ping')) {
      ready = true;
      break;
    }
    await sleep(READY_INTERVAL_MS);
  }
  if (!ready) {
    await stop();
    throw new Error(`dockerd did not answer on ${socket}; log ${logPath}:\n${await readFile(logPath, 'utf8').catch(() => '')}`);
  }
  const cli = findPeer('docker');
  const daemon: RunningDockerd = {
    dir,
    host: `unix://${socket}`,
    socket,
    ...(tcpHost !== undefined ? { tcpHost } : {}),
    docker: (cliArgs) => {
      if (cli === undefined) throw new Error('the docker CLI is missing (apt-get install docker.io)');
      return runChild(cli, ['--host', `unix://${socket}`, ...cliArgs], { env: { ...process.env, DOCKER_CONFIG: join(dir, 'cli-config') }, timeoutMs: 120_000 });
    },
    readLog: () => readFile(logPath, 'utf8'),
    stop,
  };
  options.t?.after(async () => {
    await stop();
    await removeTempDir(dir);
  });
  return daemon;
}
