// Benchmark: `ferry serve` versus Debian's docker-registry (distribution 2.8)
// on the same machine, in one run. Measures, for each server:
//   - push of one large image, 4 layers (skopeo copy oci: → docker://),
//   - pull of it back (skopeo copy docker:// → oci:),
//   - 200 small images pushed by 20 concurrent in-process clients,
//   - the server's peak RSS (VmHWM from /proc/PID/status),
//   - for the pull, skopeo's CPU (user and system) and the server's CPU, which
//     show what sets the pull's pace on a 2-core machine.
// Dirty pages are flushed before each timed step, so one step's write-back
// (a 1 GiB push) does not land in the next one's time.
// Prints min / median / max of every figure and of the per-round
// ferry/distribution ratios, and checks the targets of issues 4 and 18
// (pull ≤ 0.9 × distribution in every round, other times ≤ 1.0 ×, RSS ≤ 150 MiB).
// Environment: FERRY_BENCH_LARGE_MB (default 1024), FERRY_BENCH_LAYERS (4), FERRY_BENCH_SMALL (200),
// FERRY_BENCH_CONCURRENCY (20), FERRY_BENCH_ROUNDS (3), FERRY_BENCH_FSYNC (1; 0 turns ferry's fsync off).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createHash } from 'node:crypto';
import { MediaType } from '../src/oci/media-types.ts';
import { randomChunks } from '../src/testing/random-stream.ts';
import { openLayoutStore } from '../src/transports/layout/layout-store.ts';
import { layoutRepository } from '../src/transports/layout/layout-repository.ts';
import { startRegistry } from '../test/helpers/registry.ts';
import { skopeoCopy } from '../test/helpers/skopeo.ts';
import { flushDisks } from './lib/compare.ts';
import { skopeo } from './lib/tools.ts';
import { tempDir, removeTempDir } from '../test/helpers/tmp.ts';
import { makeImage, raw, type TestImage } from '../test/fixtures/layout-image.ts';
import { pushImage } from '../test/fixtures/server-client.ts';

const LARGE_MB = Number(process.env['FERRY_BENCH_LARGE_MB'] ?? 1024);
const LAYERS = Number(process.env['FERRY_BENCH_LAYERS'] ?? 4);
const SMALL = Number(process.env['FERRY_BENCH_SMALL'] ?? 200);
const CONCURRENCY = Number(process.env['FERRY_BENCH_CONCURRENCY'] ?? 20);
const ROUNDS = Number(process.env['FERRY_BENCH_ROUNDS'] ?? 3);
const RSS_LIMIT_MIB = 150;
/** FERRY_BENCH_FSYNC=0 measures ferry without fsync (distribution never fsyncs). */
const FSYNC = process.env['FERRY_BENCH_FSYNC'] !== '0';

interface Result {
  push: number;
  pull: number;
  small: number;
  rssMiB: number;
  /** skopeo's user and system CPU seconds during the pull. */
  pullClientUser: number;
  pullClientSystem: number;
  /** The server's CPU seconds during the pull. */
  pullServerCpu: number;
}

/** A large image of LAYERS layers in an OCI layout: random bytes in gzip containers (level 0, so skopeo keeps them as they are). */
async function buildLargeSource(dir: string): Promise<void> {
  const store = await openLayoutStore(dir, { create: true });
  const layers = [];
  const layerBytes = Math.floor((LARGE_MB * 1024 * 1024) / LAYERS);
  for (let i = 0; i < LAYERS; i++) {
    const tmp = await store.tempPath('.layer');
    const hash = createHash('sha256');
    let size = 0;
    const gzip = createGzip({ level: 0 });
    gzip.on('data', (b: Buffer) => {
      hash.update(b);
      size += b.length;
    });
    await pipeline(Readable.from(randomChunks(`bench-large-${i}`, 0, layerBytes)), gzip, createWriteStream(tmp));
    const digest = `sha256:${hash.digest('hex')}` as const;
    await store.commitTempBlob(tmp, digest);
    layers.push({ mediaType: MediaType.ociLayerGzip, digest, size });
  }
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }));
  const configDesc = { mediaType: MediaType.ociConfig, digest: `sha256:${createHash('sha256').update(config).digest('hex')}` as const, size: config.length };
  await store.writeBlobBytes(config, configDesc.digest);
  const manifest = raw({ schemaVersion: 2, mediaType: MediaType.ociManifest, config: configDesc, layers }, MediaType.ociManifest);
  await layoutRepository(store, 'bench/large').manifestPut('1', manifest);
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
}

async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

/** The pid of the process whose command line mentions `needle` (the registry runs under setpriv, which execs). */
async function pidByCmdline(needle: string): Promise<number> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle) && cmdline.includes('serve')) return Number(entry);
  }
  throw new Error(`no process with ${needle} in its command line`);
}

/** User + system CPU seconds a process has used so far (/proc/PID/stat, in clock ticks of 1/100 s). */
async function cpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One timed pull by skopeo into an OCI layout, with skopeo's user and system CPU (GNU time's `%U %S`). */
async function skopeoPull(host: string, out: string): Promise<{ seconds: number; user: number; system: number }> {
  const run = await skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${host}/bench/large:1`, `oci:${out}:large`], { timeoutMs: 1_800_000 });
  if (run.code !== 0) throw new Error(`skopeo pull failed (exit ${run.code}): ${run.stderr.slice(-500)}`);
  return { seconds: run.seconds, user: run.userSeconds, system: run.systemSeconds };
}

async function runWorkload(host: string, url: string, src: string, smallImages: TestImage[], pid: number): Promise<Result> {
  const plain = { src: { tlsVerify: false }, dest: { tlsVerify: false } };
  flushDisks();
  const push = await timed(() => skopeoCopy(`oci:${src}:bench/large:1`, `docker://${host}/bench/large:1`, [], { ...plain, timeoutMs: 1_800_000 }));
  const out = await tempDir('bench-pull');
  flushDisks();
  const serverBefore = await cpuSeconds(pid);
  const pulled = await skopeoPull(host, out);
  const pullServerCpu = (await cpuSeconds(pid)) - serverBefore;
  await removeTempDir(out);
  flushDisks();
  let next = 0;
  const small = await timed(() => Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    for (let i = next++; i < smallImages.length; i = next++) await pushImage(url, `bench/small${i % 10}`, `t${i}`, smallImages[i]!);
  })));
  return { push, pull: pulled.seconds, small, rssMiB: await peakRssMiB(pid), pullClientUser: pulled.user, pullClientSystem: pulled.system, pullServerCpu };
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside the repository (ignored by git) so the compiled code resolves node_modules. */
const DIST = join(ROOT, '.tmp', 'bench-dist');
// Same flags as bin/ferry: a small young generation returns stream buffers promptly.
const NODE_FLAGS = ['--max-semi-space-size=2'];

/**
 * Compiles src/ like `npm run build` (bin/ferry runs that output when it is
 * current): type stripping at run time costs ~35 MiB of RSS that an installed
 * ferry does not pay, and RSS is one of the measured targets.
 */
async function compileFerry(): Promise<string> {
  await rm(DIST, { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const child = spawn(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', DIST, '--declaration', 'false'], { stdio: 'ignore' });
  await once(child, 'exit');
  // The web UI's stylesheet, script and icon are read beside the compiled module, as scripts/build.sh copies them.
  await cp(join(ROOT, 'src', 'server', 'ui', 'assets'), join(DIST, 'server', 'ui', 'assets'), { recursive: true });
  const launcher = join(DIST, 'bench-serve.js');
  await writeFile(launcher, [
    "import { startServer } from './server/server.js';",
    'const [storage, addr] = process.argv.slice(2);',
    'const controller = new AbortController();',
    "process.once('SIGTERM', () => controller.abort());",
    `const server = await startServer({ storage, addr, signal: controller.signal, fsync: ${FSYNC} });`,
    'console.log(server.url);',
    'await server.closed;',
  ].join('\n'));
  return launcher;
}

async function startFerry(launcher: string, storage: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...NODE_FLAGS, launcher, storage, '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, url: line.trim() };
}

function fmt(n: number): string {
  return n.toFixed(2);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

type Server = 'ferry' | 'distribution';

/** One workload run against a fresh server of the given kind, stopped afterwards. */
async function runOnce(kind: Server, launcher: string, src: string, smallImages: TestImage[]): Promise<Result> {
  if (kind === 'distribution') {
    const registry = await startRegistry();
    try {
      return await runWorkload(registry.host, registry.url, src, smallImages, await pidByCmdline(registry.configPath));
    } finally {
      await registry.stop();
      await rm(registry.dataDir, { recursive: true, force: true });
    }
  }
  const storage = await tempDir('bench-ferry');
  const ferry = await startFerry(launcher, storage);
  try {
    return await runWorkload(new URL(ferry.url).host, ferry.url, src, smallImages, ferry.child.pid!);
  } finally {
    ferry.child.kill('SIGTERM');
    await once(ferry.child, 'exit');
    await removeTempDir(storage);
  }
}

async function main(): Promise<void> {
  console.log('compiling ferry…');
  const launcher = await compileFerry();
  console.log(`building a ${LARGE_MB} MiB image of ${LAYERS} layers and ${SMALL} small images…`);
  const src = await tempDir('bench-src');
  await buildLargeSource(src);
  const smallImages: TestImage[] = [];
  for (let i = 0; i < SMALL; i++) smallImages.push(await makeImage({ seed: `small-${i}`, shared: ['base'], layers: 2, layerBytes: 20_000 }));

  // Rounds alternate which server goes first, and medians damp the noise of a shared machine.
  const results: Record<Server, Result[]> = { ferry: [], distribution: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order: Server[] = round % 2 === 0 ? ['distribution', 'ferry'] : ['ferry', 'distribution'];
    for (const kind of order) {
      const r = await runOnce(kind, launcher, src, smallImages);
      results[kind].push(r);
      console.log(`round ${round + 1} ${kind}: push ${fmt(r.push)} s, pull ${fmt(r.pull)} s (server CPU ${fmt(r.pullServerCpu)} s, skopeo ${fmt(r.pullClientUser)} + ${fmt(r.pullClientSystem)} s), small ${fmt(r.small)} s, peak RSS ${fmt(r.rssMiB)} MiB`);
    }
  }
  await removeTempDir(src);
  await rm(DIST, { recursive: true, force: true });

  const keys: [string, keyof Result][] = [
    [`push ${LARGE_MB} MiB image (${LAYERS} layers), skopeo`, 'push'],
    [`pull ${LARGE_MB} MiB image (${LAYERS} layers), skopeo`, 'pull'],
    [`${SMALL} small images, ${CONCURRENCY} concurrent clients`, 'small'],
  ];
  const spread = (values: number[]): string => `${fmt(Math.min(...values))} / ${fmt(median(values))} / ${fmt(Math.max(...values))}`;
  const ratios = (key: keyof Result): number[] => results.ferry.map((r, i) => r[key] / results.distribution[i]![key]);
  console.log(`\n${ROUNDS} rounds, alternating; ferry fsync ${FSYNC ? 'on' : 'off'}; min / median / max\n`);
  console.log('| workload | ferry serve (s) | distribution 2.8 (s) | ferry/distribution per round |');
  console.log('|---|---:|---:|---:|');
  for (const [name, key] of keys) {
    console.log(`| ${name} | ${spread(results.ferry.map((r) => r[key]))} | ${spread(results.distribution.map((r) => r[key]))} | ${spread(ratios(key))} |`);
  }
  console.log(`| server peak RSS (MiB) | ${spread(results.ferry.map((r) => r.rssMiB))} | ${spread(results.distribution.map((r) => r.rssMiB))} | |`);
  const cpuRow = (name: string, pick: (r: Result) => number): void => console.log(`| ${name} | ${spread(results.ferry.map(pick))} | ${spread(results.distribution.map(pick))} | |`);
  cpuRow('pull: the server\'s CPU (s)', (r) => r.pullServerCpu);
  cpuRow('pull: skopeo\'s user CPU (s)', (r) => r.pullClientUser);
  cpuRow('pull: skopeo\'s system CPU (s)', (r) => r.pullClientSystem);
  const pullOk = ratios('pull').every((r) => r <= 0.9);
  const otherOk = ratios('push').every((r) => r <= 1) && ratios('small').every((r) => r <= 1);
  const rss = Math.max(...results.ferry.map((r) => r.rssMiB));
  console.log(`\ntargets: pull ≤ 0.9× distribution in every round ${pullOk ? 'MET' : 'NOT MET'}; push and small ≤ 1.0× in every round ${otherOk ? 'MET' : 'NOT MET'}; ferry peak RSS ≤ ${RSS_LIMIT_MIB} MiB ${rss <= RSS_LIMIT_MIB ? 'MET' : 'NOT MET'}`);
}

await main();
