import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { trackChild, type AfterHook } from './cleanup.ts';
import { FERRY_BIN, childEnv } from './ferry-cli.ts';
import { tempDir } from './tmp.ts';

/**
 * Runs the real `bin/ferry serve` as a child process, for tests where the
 * process itself is under test: that it survives a hostile request, exits
 * with a clear message on bad options, stops on a signal.
 */

/** Start-up of the CLI (module loading) on a loaded 2-core box; only ends a hung start. */
const START_TIMEOUT_MS = 30_000;

export interface ServeProcess {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** `127.0.0.1:PORT`, the host part of image references. */
  host: string;
  storage: string;
  child: ChildProcess;
  /** Whether the process is still running. */
  alive(): boolean;
  /** Everything it wrote to stderr so far (the access log, as JSON lines). */
  stderr(): string;
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `ferry serve --addr 127.0.0.1:0 --log-format json ARGS…` over a fresh store (unless ARGS give `--storage`) and waits until it listens. */
export async function startServeProcess(t: AfterHook, args: readonly string[] = []): Promise<ServeProcess> {
  const storage = args.includes('--storage') ? args[args.indexOf('--storage') + 1]! : await tempDir('ferry-serve-process', t);
  const fullArgs = ['serve', '--addr', '127.0.0.1:0', '--log-format', 'json', ...(args.includes('--storage') ? [] : ['--storage', storage]), ...args];
  const child = spawn(FERRY_BIN, fullArgs, { stdio: ['ignore', 'pipe', 'pipe'], env: await childEnv({}) });
  trackChild(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stdout!.resume();
  const listening = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ferry serve did not start within ${START_TIMEOUT_MS} ms:\n${stderr}`)), START_TIMEOUT_MS);
    child.stderr!.on('data', (text: string) => {
      stderr += text;
      const m = /"type":"listening"[^\n]*"url":"([^"]+)"/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ferry serve exited ${code} before listening:\n${stderr}`));
    });
  });
  const url = await listening;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    return code;
  };
  t.after(stop);
  return {
    url,
    host: url.replace(/^https?:\/\//, ''),
    storage,
    child,
    alive: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
    stop,
  };
}
