/**
 * Benchmark (issue 5): the sync benchmark's 80 images mirrored to disk and
 * back, ferry versus skopeo, alternating, `--runs N` each (default 3):
 *   1. registry → disk: `ferry sync --src yaml --dest oci` (one shared OCI
 *      layout) vs `skopeo sync --src yaml --dest dir` (a directory per
 *      image); time, and disk use (`du -sb`) against the set's unique bytes;
 *   2. disk → registry: each tool pushes its own output of step 1 into a
 *      fresh, empty registry (`--src oci` / `--src dir`, `--dest docker`),
 *      and so does the floor client (bench/lib/floor-sync.mjs reading ferry's
 *      layout: the fewest requests, bare undici, nothing verified), which
 *      shows how much of the time the destination registry itself takes.
 * skopeo gets `--preserve-digests` (see bench/copy.ts); both tools get
 * `--insecure-policy` (skopeo 1.9 needs a policy). Times and CPU print as
 * min / median / max, ferry/skopeo and ferry/floor as min / median / max of
 * per-round ratios.
 *
 * Usage: bash scripts/node.sh bench/mirror.ts [--runs N] [--quick]
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '../test/helpers/tmp.ts';
import { benchArgs } from './lib/args.ts';
import { alternate, ratioCell, spreadCells } from './lib/compare.ts';
import { countTags, freshRegistry, seedImages, type BenchRegistry } from './lib/registries.ts';
import { bytes, median, secs, table } from './lib/report.ts';
import { FULL_SET, QUICK_SET, describeSet, syncSetSpecs, uniqueBytes, writeSkopeoYaml } from './lib/sync-set.ts';
import { ferry, floorSync, printEnvironment, printFinished, skopeo } from './lib/tools.ts';

const args = benchArgs(3);

/** Bytes a directory tree occupies, as `du -sb` counts them (apparent sizes, hard links once). */
function diskUsage(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split(/\s/)[0]);
}
const shape = args.quick ? QUICK_SET : FULL_SET;

const benchStarted = performance.now();
await printEnvironment('mirror: registry → disk → registry');
const work = await tempDir('ferry-bench-mirror');
const source = await freshRegistry();
try {
  const specs = syncSetSpecs(shape);
  const t = performance.now();
  await seedImages(source, specs);
  const unique = await uniqueBytes(specs);
  console.error(`seeded ${describeSet(shape)} in ${secs((performance.now() - t) / 1000)}; unique content ${bytes(unique)}`);
  const file = join(work, 'sync.yaml');
  await writeSkopeoYaml(file, source.host, specs);

  // 1. registry → disk. Every run writes into a new directory; the last round's are kept for step 2.
  const used: Record<string, number[]> = { ferry: [], skopeo: [] };
  const kept: Record<string, string> = {};
  let dirs = 0;
  const [toDiskFerry, toDiskSkopeo] = await alternate<string>(
    [
      { name: 'ferry', run: (dir) => ferry(['sync', '--insecure-policy', '--src', 'yaml', '--dest', 'oci', file, dir]) },
      { name: 'skopeo', run: (dir) => skopeo(['sync', '--src', 'yaml', '--dest', 'dir', '--preserve-digests', file, dir]) },
    ],
    {
      runs: args.runs,
      label: 'registry → disk',
      prepare: async (tool) => join(work, `${tool}-${dirs++}`),
      cleanup: async (dir, tool, round) => {
        used[tool]!.push(diskUsage(dir));
        if (round === args.runs - 1) kept[tool] = dir;
        else await removeTempDir(dir);
      },
    },
  );

  // 2. disk → registry, from each tool's own output (the floor reads ferry's).
  const delivered: Record<string, number[]> = { ferry: [], skopeo: [], floor: [] };
  const [toRegFerry, toRegSkopeo, toRegFloor] = await alternate<BenchRegistry>(
    [
      { name: 'ferry', run: (d) => ferry(['sync', '--insecure-policy', '--src', 'oci', '--dest', 'docker', '--dest-tls-verify=false', kept['ferry']!, `${d.host}/mirror`]) },
      { name: 'skopeo', run: (d) => skopeo(['sync', '--src', 'dir', '--dest', 'docker', '--dest-tls-verify=false', '--preserve-digests', kept['skopeo']!, `${d.host}/mirror`]) },
      { name: 'floor', run: (d) => floorSync('-', `oci:${kept['ferry']!}`, `${d.host}/mirror`) },
    ],
    {
      runs: args.runs,
      label: 'disk → registry',
      prepare: () => freshRegistry(),
      cleanup: async (d, tool) => {
        delivered[tool]!.push(await countTags(d));
        await d.dispose();
      },
    },
  );

  console.log(`### ${describeSet(shape)}; unique content ${bytes(unique)} (${unique} bytes: distinct blobs + manifests)\n`);
  console.log(`Runs per tool: ${args.runs}, alternating; every registry → disk run writes to a new directory, every disk → registry run to a fresh empty registry.\n`);
  const disk = (tool: string): string => {
    const d = median(used[tool]!);
    return `${bytes(d)} (${(d / unique).toFixed(2)}×)`;
  };
  console.log(
    table(['scenario', 'tool', 'time (s, min / median / max)', 'CPU (s, min / median / max)', 'peak RSS (median / max)', 'ferry/skopeo (min / median / max)', 'ferry/floor', 'disk use (× unique)'], [
      ['registry → disk', ...spreadCells(toDiskFerry!), ratioCell(toDiskFerry!, toDiskSkopeo!), '', disk('ferry')],
      ['registry → disk', ...spreadCells(toDiskSkopeo!), '', '', disk('skopeo')],
      ['disk → registry', ...spreadCells(toRegFerry!), ratioCell(toRegFerry!, toRegSkopeo!), ratioCell(toRegFerry!, toRegFloor!), ''],
      ['disk → registry', ...spreadCells(toRegSkopeo!), '', '', ''],
      ['disk → registry', ...spreadCells(toRegFloor!), `floor/skopeo ${ratioCell(toRegFloor!, toRegSkopeo!)}`, '', ''],
    ]),
  );
  console.log(`\nTags at the destination after each disk → registry run (expected ${specs.length}): ferry ${delivered['ferry']!.join(', ')}; skopeo ${delivered['skopeo']!.join(', ')}; floor ${delivered['floor']!.join(', ')}.`);
  console.log('\nCommands (directories and DEST host vary per run):\n');
  for (const s of [toDiskFerry!, toDiskSkopeo!, toRegFerry!, toRegSkopeo!, toRegFloor!]) console.log(`    ${s.command}`);
  console.log();
  printFinished(benchStarted);
} finally {
  await source.dispose();
  await removeTempDir(work);
}
