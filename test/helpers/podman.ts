import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../../src/util/stop-child.ts';
import { trackChild, type AfterHook } from './cleanup.ts';
import { peerPath } from './peers.ts';
import { pingSocket } from './socket-ping.ts';
import { runChild, type ChildResult } from './run-child.ts';
import { removeTempDir, tempDir } from './tmp.ts';

/**
 * A private containers/storage store for real Podman 4 (Debian's podman):
 * vfs graph root and run root in a temp dir, named to Podman by its global
 * flags and to ferry and skopeo by `[vfs@ROOT+RUNROOT]`. A containers.conf in
 * the same dir (CONTAINERS_CONF, passed to every program the test runs) moves
 * Podman's runtime state there too, so the machine's default store and
 * /run/libpod stay untouched.
 */

/** 200 × 50 ms for a service a test starts itself (CONTAINER_HOST tests). */
const READY_ATTEMPTS = 200;
const READY_INTERVAL_MS = 50;
/** A service asked to stop gets this long before it is killed. */
const STOP_GRACE_MS = 5000;

export interface PodmanStore {
  dir: string;
  root: string;
  runRoot: string;
  /** `[vfs@ROOT+RUNROOT]`, the prefix of containers-storage: references. */
  spec: string;
  /** Environment for ferry, skopeo and podman runs: CONTAINERS_CONF pointing into the temp dir. */
  env: Record<string, string>;
  /** `podman --root … --runroot … --storage-driver vfs ARGS…`; never throws for a non-zero exit. */
  podman(args: readonly string[]): Promise<ChildResult>;
  /** Starts `podman system service` on a socket in the store's dir; resolves to its `unix://` URL (stopped after the test). */
  service(t: AfterHook): Promise<string>;
}

function storeArgs(root: string, runRoot: string): string[] {
  return ['--root', root, '--runroot', runRoot, '--storage-driver', 'vfs'];
}


export async function podmanStore(t: AfterHook): Promise<PodmanStore> {
  const binary = peerPath('podman');
  const dir = await tempDir('ferry-podman-store');
  const root = join(dir, 'root');
  const runRoot = join(dir, 'run');
  const conf = join(dir, 'containers.conf');
  await writeFile(conf, `[engine]\ntmp_dir = "${join(dir, 'libpod-tmp')}"\nevents_logger = "file"\nevents_logfile_path = "${join(dir, 'events.log')}"\n`);
  const env = { CONTAINERS_CONF: conf };
  t.after(() => removeTempDir(dir));
  const podman = (args: readonly string[]): Promise<ChildResult> =>
    runChild(binary, [...storeArgs(root, runRoot), ...args], { env: { ...process.env, ...env }, timeoutMs: 120_000 });
  const service = async (after: AfterHook): Promise<string> => {
    const socket = join(dir, `service-${Date.now()}.sock`);
    const logPath = join(dir, 'service.log');
    const log = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(peerPath('setpriv'), ['--pdeathsig', 'KILL', '--', binary, ...storeArgs(root, runRoot), 'system', 'service', '--time', '0', `unix://${socket}`], {
        stdio: ['ignore', log, log],
        env: { ...process.env, ...env },
      });
      trackChild(child);
    } finally {
      closeSync(log);
    }
    after.after(() => stopChild(child, STOP_GRACE_MS));
    for (let i = 0; i < READY_ATTEMPTS; i++) {
      if (await pingSocket(socket, '/v4.0.0/libpod/_ping')) return `unix://${socket}`;
      await sleep(READY_INTERVAL_MS);
    }
    throw new Error(`podman system service did not answer on ${socket}; log:\n${await readFile(logPath, 'utf8').catch(() => '')}`);
  };
  return { dir, root, runRoot, spec: `[vfs@${root}+${runRoot}]`, env, podman, service };
}
