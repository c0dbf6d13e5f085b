/**
 * Benchmark (issue 2): one large image, registry → empty registry, with
 * `ferry copy` and `skopeo copy`, alternating, `--runs N` each (default 3).
 * Each run gets a fresh, empty destination registry. Prints median times, the
 * ferry/skopeo ratio and peak RSS, for a 1 GiB image of 4 × 256 MiB layers
 * and a 256 MiB image of 4 × 64 MiB layers (same layer count, layers 4×
 * smaller: RSS should not change with layer size).
 *
 * skopeo gets `--preserve-digests`: the synthetic layers are uncompressed
 * tars, which skopeo would otherwise gzip on the way to a registry (new
 * digests, CPU-bound); ferry always copies bytes as they are.
 *
 * Usage: bash scripts/node.sh bench/copy.ts [--runs N] [--quick]
 */
import { alternate, ratioCell, spreadCells, type Series } from './lib/compare.ts';
import { benchArgs } from './lib/args.ts';
import { freshRegistry, seedImages, type BenchRegistry } from './lib/registries.ts';
import { bytes, secs, table } from './lib/report.ts';
import { ferry, printEnvironment, printFinished, skopeo } from './lib/tools.ts';

const MiB = 1024 * 1024;
const args = benchArgs(3);
const scale = args.quick ? 1 / 16 : 1;

interface Scenario {
  title: string;
  repo: string;
  layers: number[];
}

const scenarios: Scenario[] = [
  { title: `${bytes(4 * 256 * MiB * scale)}, 4 × ${bytes(256 * MiB * scale)} layers`, repo: 'bench/large', layers: Array(4).fill(256 * MiB * scale) },
  { title: `${bytes(4 * 64 * MiB * scale)}, 4 × ${bytes(64 * MiB * scale)} layers`, repo: 'bench/medium', layers: Array(4).fill(64 * MiB * scale) },
];

const benchStarted = performance.now();
await printEnvironment('copy: one image, registry → empty registry');
const source = await freshRegistry();
try {
  let t = performance.now();
  await seedImages(
    source,
    scenarios.map((s) => ({ name: s.repo, tag: '1', layers: s.layers })),
    { concurrency: 1 },
  );
  console.error(`seeded the source registry in ${secs((performance.now() - t) / 1000)}`);

  const results: Array<{ scenario: Scenario; ferry: Series; skopeo: Series }> = [];
  for (const scenario of scenarios) {
    const src = `docker://${source.host}/${scenario.repo}:1`;
    const dst = (d: BenchRegistry): string => `docker://${d.host}/${scenario.repo}:1`;
    t = performance.now();
    const [f, s] = await alternate<BenchRegistry>(
      [
        { name: 'ferry', run: (d) => ferry(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', src, dst(d)]) },
        { name: 'skopeo', run: (d) => skopeo(['copy', '--src-tls-verify=false', '--dest-tls-verify=false', '--preserve-digests', src, dst(d)]) },
      ],
      { runs: args.runs, prepare: () => freshRegistry(), cleanup: (d) => d.dispose(), label: scenario.title },
    );
    results.push({ scenario, ferry: f!, skopeo: s! });
    console.error(`${scenario.title}: ${secs((performance.now() - t) / 1000)}`);
  }

  console.log(`Runs per tool and image: ${args.runs} (alternating; a fresh empty destination registry for every run).\n`);
  const rows: string[][] = [];
  for (const r of results) {
    rows.push([r.scenario.title, ...spreadCells(r.ferry), ratioCell(r.ferry, r.skopeo)]);
    rows.push([r.scenario.title, ...spreadCells(r.skopeo), '']);
  }
  console.log(table(['image', 'tool', 'time (s, min / median / max)', 'CPU (s, min / median / max)', 'peak RSS (median / max)', 'ferry/skopeo (min / median / max)'], rows));
  console.log('\nCommands (destination host varies per run):\n');
  for (const r of results) for (const s of [r.ferry, r.skopeo]) console.log(`    ${s.command}`);
  console.log();
  printFinished(benchStarted);
} finally {
  await source.dispose();
}
