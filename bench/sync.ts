/**
 * Benchmark (issues 3 and 10): `ferry sync` versus `skopeo sync` and a floor
 * client (bench/lib/floor-sync.mjs: the fewest requests the task needs, bare
 * undici), same skopeo YAML, same data, alternating, `--runs N` each (default 3):
 *   1. cold sync of 80 images (40 repos × 2 tags, 30 MiB shared base, 1 MiB
 *      own layer) registry → empty registry (a fresh one per run);
 *   2. no-op re-sync of the same set into a registry that already holds it;
 *   3. planning scale: ferry's (and skopeo's) `--dry-run` time and peak RSS for
 *      100, 1,000 and 10,000 tags, and a real sync of the 1,000-image plan.
 * skopeo gets `--preserve-digests` (see bench/copy.ts: otherwise it gzips the
 * uncompressed synthetic layers); both tools get `--insecure-policy` (skopeo
 * 1.9 needs a policy; with it neither reads /etc/containers/policy.json).
 * Each scenario prints time and CPU as min / median / max, peak RSS, and
 * ferry/skopeo and ferry/floor as min / median / max of the per-round ratios.
 *
 * Usage: bash scripts/node.sh bench/sync.ts [--runs N] [--quick]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { removeTempDir, tempDir } from '../test/helpers/tmp.ts';
import { benchArgs } from './lib/args.ts';
import { alternate, ratioCell, spreadCells, type Series } from './lib/compare.ts';
import type { Measured } from './lib/measure.ts';
import { countTags, freshRegistry, seedImages, type BenchRegistry } from './lib/registries.ts';
import { mib, ratio, secs, table } from './lib/report.ts';
import { FULL_SCALE, QUICK_SCALE, distinctImages, seedScaleSet } from './lib/scale-set.ts';
import { FULL_SET, QUICK_SET, describeSet, syncSetSpecs, writeSkopeoYaml } from './lib/sync-set.ts';
import { ferry, floorSync, printEnvironment, printFinished, reportFailure, skopeo } from './lib/tools.ts';

const args = benchArgs(3);
const shape = args.quick ? QUICK_SET : FULL_SET;
const scale = args.quick ? QUICK_SCALE : FULL_SCALE;

const ferrySync = (file: string, dest: string, extra: string[] = []): Promise<Measured> =>
  ferry(['sync', '--insecure-policy', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', ...extra, file, dest]);
const skopeoSync = (file: string, dest: string, extra: string[] = []): Promise<Measured> =>
  skopeo(['sync', '--src', 'yaml', '--dest', 'docker', '--dest-tls-verify=false', '--preserve-digests', ...extra, file, dest]);

function note(run: Measured, what: string): Measured {
  console.error(`  ${what}: ${secs(run.seconds)}, ${mib(run.rssMiB)}${run.code === 0 ? '' : ` FAILED (exit ${run.code})`}`);
  if (run.code !== 0) reportFailure(run);
  return run;
}

function scenarioRows(label: string, f: Series, s: Series, floor: Series): string[][] {
  return [
    [label, ...spreadCells(f), ratioCell(f, s), ratioCell(f, floor)],
    [label, ...spreadCells(s), '', ''],
    [label, ...spreadCells(floor), '', ''],
  ];
}

const benchStarted = performance.now();
await printEnvironment('sync: many images, registry → registry');
const work = await tempDir('ferry-bench-sync');
const registries: BenchRegistry[] = [];
try {
  // 1 and 2: the 80-image set.
  const source = await freshRegistry();
  registries.push(source);
  const specs = syncSetSpecs(shape);
  let t = performance.now();
  await seedImages(source, specs);
  console.error(`seeded ${describeSet(shape)} in ${secs((performance.now() - t) / 1000)}`);
  const file = join(work, 'sync.yaml');
  await writeSkopeoYaml(file, source.host, specs);
  const list = join(work, 'images.json');
  await writeFile(list, JSON.stringify(specs.map((spec) => [spec.name, spec.tag])));

  const delivered: Record<string, number[]> = { ferry: [], skopeo: [], floor: [] };
  const [coldFerry, coldSkopeo, coldFloor] = await alternate<BenchRegistry>(
    [
      { name: 'ferry', run: (d) => ferrySync(file, `${d.host}/mirror`) },
      { name: 'skopeo', run: (d) => skopeoSync(file, `${d.host}/mirror`) },
      { name: 'floor', run: (d) => floorSync(list, source.host, `${d.host}/mirror`) },
    ],
    {
      runs: args.runs,
      label: 'cold sync',
      prepare: () => freshRegistry(),
      cleanup: async (d, tool) => {
        delivered[tool]!.push(await countTags(d));
        await d.dispose();
      },
    },
  );

  const full = await freshRegistry();
  registries.push(full);
  note(await ferrySync(file, `${full.host}/mirror`), 'populating the no-op destination with ferry');
  const [noopFerry, noopSkopeo, noopFloor] = await alternate<BenchRegistry>(
    [
      { name: 'ferry', run: (d) => ferrySync(file, `${d.host}/mirror`) },
      { name: 'skopeo', run: (d) => skopeoSync(file, `${d.host}/mirror`) },
      { name: 'floor', run: (d) => floorSync(list, source.host, `${d.host}/mirror`) },
    ],
    { runs: args.runs, prepare: async () => full, cleanup: async () => undefined, label: 'no-op re-sync' },
  );

  console.log(`### ${describeSet(shape)}, registry → registry\n`);
  console.log(`Runs per tool: ${args.runs}, alternating; cold runs each get a fresh empty destination registry, no-op runs share one that already holds the set.\n`);
  console.log(
    table(['scenario', 'tool', 'time (s, min / median / max)', 'CPU (s, min / median / max)', 'peak RSS (median / max)', 'ferry/skopeo (min / median / max)', 'ferry/floor (min / median / max)'], [
      ...scenarioRows('cold sync', coldFerry!, coldSkopeo!, coldFloor!),
      ...scenarioRows('no-op re-sync', noopFerry!, noopSkopeo!, noopFloor!),
    ]),
  );
  console.log(`\nTags at the destination after each cold run (expected ${specs.length}): ferry ${delivered['ferry']!.join(', ')}; skopeo ${delivered['skopeo']!.join(', ')}; floor ${delivered['floor']!.join(', ')}.`);
  console.log('\nCommands (SRC = the seeded registry; DEST host varies per run):\n');
  for (const s of [coldFerry!, coldSkopeo!, coldFloor!]) console.log(`    ${s.command}`);
  await full.dispose();
  registries.splice(registries.indexOf(full), 1);
  await source.dispose();
  registries.splice(registries.indexOf(source), 1);

  // 3: planning scale.
  const scaleSource = await freshRegistry();
  registries.push(scaleSource);
  t = performance.now();
  const files = await seedScaleSet(scaleSource, scale, work);
  console.error(`seeded the scale set (${scale.repos} repos, ${scale.repos * scale.distinct} distinct images, ${Math.max(...scale.sizes)} tags) in ${secs((performance.now() - t) / 1000)}`);
  const empty = await freshRegistry();
  registries.push(empty);
  const rows: string[][] = [];
  const commands: string[] = [];
  for (const size of scale.sizes) {
    const f = note(await ferrySync(files.get(size)!, `${empty.host}/mirror`, ['--dry-run']), `ferry --dry-run, ${size} tags`);
    const s = note(await skopeoSync(files.get(size)!, `${empty.host}/mirror`, ['--dry-run']), `skopeo --dry-run, ${size} tags`);
    const cell = (r: Measured): string[] => (r.code === 0 ? [secs(r.seconds), mib(r.rssMiB)] : [`failed (exit ${r.code})`, mib(r.rssMiB)]);
    rows.push([`${size} tags (${distinctImages(scale, size)} distinct images)`, '--dry-run', ...cell(f), ...cell(s), '—']);
    commands.push(f.command, s.command);
  }
  const planned = scale.sizes[1]!;
  const target = await freshRegistry();
  registries.push(target);
  const realFerry = note(await ferrySync(files.get(planned)!, `${target.host}/mirror`), `ferry real sync, ${planned} images`);
  const realFerryTags = await countTags(target);
  await target.dispose();
  registries.splice(registries.indexOf(target), 1);
  const target2 = await freshRegistry();
  registries.push(target2);
  const realSkopeo = note(await skopeoSync(files.get(planned)!, `${target2.host}/mirror`), `skopeo real sync, ${planned} images`);
  const realSkopeoTags = await countTags(target2);
  const realCell = (r: Measured): string[] => (r.code === 0 ? [secs(r.seconds), mib(r.rssMiB)] : [`failed (exit ${r.code})`, mib(r.rssMiB)]);
  rows.push([`${planned} images, real sync to an empty registry`, 'copy', ...realCell(realFerry), ...realCell(realSkopeo), ratio(realFerry.seconds, realSkopeo.seconds)]);
  commands.push(realFerry.command, realSkopeo.command);

  console.log(`\n### Planning scale: ${scale.repos} repositories, tiny images (64 KiB shared base + 2 KiB own layer), 1 run each\n`);
  console.log(table(['plan', 'mode', 'ferry time', 'ferry peak RSS', 'skopeo time', 'skopeo peak RSS', 'ferry/skopeo'], rows));
  console.log(`\nTags at the destination after the real sync (expected ${planned}): ferry ${realFerryTags}, skopeo ${realSkopeoTags}.`);
  console.log(`skopeo's --dry-run makes no registry request for explicitly listed tags (it prints the names from the YAML), so its figure is not a planning time; ferry's dry run resolves every source manifest and HEADs every destination.`);
  console.log('\nCommands:\n');
  for (const c of commands) console.log(`    ${c}`);
  console.log();
  printFinished(benchStarted);
} finally {
  for (const r of registries) await r.dispose();
  await removeTempDir(work);
}
