import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { trackDir } from '../../test/helpers/cleanup.ts';
import { peerPath } from '../../test/helpers/peers.ts';
import { measure, tail, type Measured, type MeasureOptions } from './measure.ts';
import { snapshotFerry } from './snapshot.ts';

/**
 * The two programs under comparison, run as a user runs them: `bin/ferry`
 * and `skopeo --insecure-policy`, both with an empty HOME and none of the
 * user's auth-file variables, so nothing but the command line takes part.
 */

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FERRY_BIN = join(ROOT, 'bin', 'ferry');

const USER_VARIABLES = ['REGISTRY_AUTH_FILE', 'DOCKER_CONFIG', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME'];

let home: string | undefined;

/** The environment both tools run in (an empty HOME made once per benchmark process). */
export async function toolEnv(): Promise<NodeJS.ProcessEnv> {
  if (home === undefined) {
    home = await mkdtemp(join(tmpdir(), 'ferry-bench-home-'));
    trackDir(home);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  for (const key of USER_VARIABLES) delete env[key];
  return env;
}

let ferryBin: Promise<{ path: string; how: string }> | undefined;

/**
 * Which bin/ferry to run: a snapshot of the last build (see snapshot.ts)
 * when dist/ has one, else the checkout's own bin/ferry (type-stripping src/).
 * FERRY_BENCH_LIVE=1 always runs the checkout's. `npm run bench` builds first.
 */
function resolveFerry(): Promise<{ path: string; how: string }> {
  ferryBin ??= (async () => {
    if (process.env['FERRY_BENCH_LIVE'] === '1') return { path: FERRY_BIN, how: 'bin/ferry of the checkout (FERRY_BENCH_LIVE=1)' };
    if (!existsSync(join(ROOT, 'dist', '.built'))) return { path: FERRY_BIN, how: 'bin/ferry of the checkout, type-stripping src/ (no build in dist/)' };
    const age = ferryRunsDist() ? 'current' : 'OLDER than some src/ file: it measures the last build';
    const path = await snapshotFerry(ROOT);
    return { path, how: `a snapshot of this checkout's bin/ferry + compiled dist/ (build ${age}) at ${path}` };
  })();
  return ferryBin;
}

/** `bin/ferry ARGS…`, measured. */
export async function ferry(args: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  return measure((await resolveFerry()).path, args, { env: await toolEnv(), ...options });
}

/** `skopeo --insecure-policy ARGS…`, measured (1.9 refuses to copy without a policy otherwise). */
export async function skopeo(args: readonly string[], options: MeasureOptions = {}): Promise<Measured> {
  return measure(peerPath('skopeo'), ['--insecure-policy', ...args], { env: await toolEnv(), ...options });
}

/**
 * The floor client (bench/lib/floor-sync.mjs) as its own process, like the
 * tools: Node's start-up is part of every figure. LIST is an images file, or
 * `-` with an `oci:DIR` SOURCE for every image of that layout.
 */
export async function floorSync(list: string, source: string, dest: string): Promise<Measured> {
  return measure(process.execPath, [join(ROOT, 'bench', 'lib', 'floor-sync.mjs'), list, source, dest], { env: await toolEnv() });
}

/** Prints a failed run (command, exit code, the end of its output) so the report can quote it. */
export function reportFailure(run: Measured): void {
  console.log(`\n**FAILED** (exit ${run.code}): \`${run.command}\``);
  console.log('```');
  const out = [tail(run.stdout), tail(run.stderr)].filter((s) => s !== '').join('\n');
  console.log(out === '' ? '(no output)' : out);
  console.log('```');
}

/** True when bin/ferry runs the compiled dist/ (it falls back to type-stripping src/ when dist is stale). */
function ferryRunsDist(): boolean {
  const stamp = join(ROOT, 'dist', '.built');
  if (!existsSync(stamp)) return false;
  const built = statSync(stamp).mtimeMs;
  const newer = (dir: string): boolean =>
    readdirSync(dir, { withFileTypes: true }).some((e) => {
      const path = join(dir, e.name);
      if (e.isDirectory()) return newer(path);
      return e.name.endsWith('.ts') && statSync(path).mtimeMs > built;
    });
  return !newer(join(ROOT, 'src'));
}

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0] ?? '?';
  } catch {
    return '?';
  }
}

/** Median wall time and peak RSS of `bin/ferry --version`: the fixed cost in every ferry figure. */
async function ferryStartup(): Promise<string> {
  const runs: Measured[] = [];
  for (let i = 0; i < 3; i++) runs.push(await ferry(['--version']));
  const times = runs.map((r) => r.seconds).sort((a, b) => a - b);
  const rss = runs.map((r) => r.rssMiB).sort((a, b) => a - b);
  return `${times[1]!.toFixed(2)} s, ${rss[1]!.toFixed(0)} MiB`;
}

/** One paragraph naming the machine and tool versions, printed before every benchmark's tables. */
export async function printEnvironment(title: string): Promise<void> {
  console.log(`## ${title}\n`);
  const cpu = cpus();
  console.log(`- machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}; registries: Debian docker-registry on 127.0.0.1, storage under ${tmpdir()}`);
  console.log(`- ferry: Node ${process.versions.node}; runs ${(await resolveFerry()).how}`);
  console.log(`- ferry start-up (\`bin/ferry --version\`, median of 3): ${await ferryStartup()}`);
  console.log(`- skopeo: ${version(peerPath('skopeo'), ['--version'])}`);
  // The machine may be shared: a load above the core count makes every figure noisier.
  console.log(`- started: ${new Date().toISOString()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}\n`);
}

/** Printed after the tables: how busy the machine was by the end. */
export function printFinished(started: number): void {
  console.log(`Finished in ${((performance.now() - started) / 1000).toFixed(0)} s, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}.\n`);
}
