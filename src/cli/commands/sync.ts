import { writeFile, rename } from 'node:fs/promises';
import { Option, type Command } from 'commander';
import { FerryError } from '../../errors.ts';
import { parsePlatform } from '../../oci/platform.ts';
import type { CommandContext } from '../context.ts';
import { EXIT } from '../output.ts';
import { ProgressRenderer, formatBytes } from '../progress.ts';
import { addAccessFlags, addDaemonHostFlag, parsePositiveInt, skopeoSideFlags } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { describeRunSignatures } from '../signature-output.ts';


async function writeAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export function syncCommand(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('sync')
    .description('Copy many images at once: skopeo sync, image-syncer, `oc image mirror` and ferry inputs, one deduplicated parallel plan')
    .argument('[source]', 'with --src: a repository (docker, docker-daemon, containers-storage), a sync YAML file (yaml) or an OCI layout (oci)')
    .argument('[destination]', 'with --dest: REGISTRY[/PATH] (docker) or a directory (oci, dir)')
    .addOption(new Option('--src <transport>', 'skopeo-style source kind').choices(['docker', 'yaml', 'oci', 'docker-daemon', 'containers-storage']))
    .addOption(new Option('-d, --dest <transport>', 'skopeo-style destination kind').choices(['docker', 'oci', 'dir']))
    .option('--images <FILE>', 'image-syncer images file (JSON or YAML)')
    .option('--auth <FILE>', 'image-syncer auth file, with --images')
    .option('--mapping <FILE>', '`oc image mirror` mapping file (SRC DST or SRC=DST per line)')
    .option('--config <FILE>', 'ferry sync YAML (see README: "ferry sync YAML")')
    .option('--scoped', 'keep the full source path under DESTINATION (skopeo --scoped)')
    .option('--append-suffix <SUFFIX>', 'append to every destination tag')
    .option('-a, --all', 'copy every platform of multi-platform images')
    .addOption(new Option('--platform <os/arch[/variant]>', 'copy these platforms (repeatable; --images/--mapping)').argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]))
    .option('--preserve-digests', 'fail rather than change any digest')
    .option('--keep-going', 'continue past failed images; exit 1 at the end with the list')
    .option('--dry-run', 'print the plan (images to copy and skip, blobs and bytes per destination) and copy nothing')
    .addOption(new Option('--jobs <N>', 'images copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .option('--report <FILE>', 'write a JSON report: every image with its status, digest and bytes, and totals')
    .option('--digestfile <FILE>', 'write "DIGEST DESTINATION" per copied image')
    .option('--shard <I/N>', 'run only slice I (0-based) of N of the plan, split by repository')
    .option('--authfile <FILE>', 'auth file to read credentials from');
  addAccessFlags(cmd, 'src');
  addAccessFlags(cmd, 'dest');
  addDaemonHostFlag(cmd, 'src');
  addSigningFlags(cmd);
  cmd.action(async (source: string | undefined, destination: string | undefined, opts: Record<string, unknown>, command: Command) => {
    // Loaded here so other commands never pay for YAML parsing and the sync engine.
    const { loadSyncInput } = await import('../../sync/config/load.ts');
    const { sideOptions } = await import('../../sync/config/skopeo-cli.ts');
    const { parseShard } = await import('../../sync/select/shard.ts');
    const { sync } = await import('../../sync/sync.ts');
    const authfile = opts['authfile'] as string | undefined;
    const flags = {
      scoped: opts['scoped'] === true,
      appendSuffix: opts['appendSuffix'] as string | undefined,
      all: opts['all'] === true,
      authfile,
      src: skopeoSideFlags(opts, 'src'),
      dest: skopeoSideFlags(opts, 'dest'),
    };
    const platformList = opts['platform'] as string[] | undefined;
    const platforms = opts['all'] ? { kind: 'all' as const } : platformList ? { kind: 'list' as const, platforms: platformList.map(parsePlatform) } : undefined;
    const forms = ['src', 'images', 'mapping', 'config'].filter((k) => opts[k] !== undefined);
    if (forms.length !== 1) {
      throw new FerryError('USAGE', forms.length === 0 ? 'say what to sync: --src/--dest with SOURCE DESTINATION, --images, --mapping or --config' : `--${forms.join(', --')} cannot be combined`);
    }
    let spec;
    let overrides = false;
    if (opts['src'] !== undefined) {
      if (source === undefined || destination === undefined || opts['dest'] === undefined) {
        throw new FerryError('USAGE', '--src needs --dest, SOURCE and DESTINATION', { hint: 'e.g. ferry sync --src docker --dest docker quay.io/ns/app registry.example/mirror' });
      }
      const dest = { transport: opts['dest'] as 'docker' | 'oci' | 'dir', destination };
      const kind = opts['src'] as string;
      const daemonHost = opts['srcDaemonHost'] as string | undefined;
      spec = await loadSyncInput(
        kind === 'yaml'
          ? { kind: 'skopeo-yaml', path: source, dest, flags }
          : kind === 'oci'
            ? { kind: 'oci', path: source, dest, flags }
            : kind === 'docker-daemon' || kind === 'containers-storage'
              ? { kind: 'engine', transport: kind, source, daemonHost, dest, flags }
              : { kind: 'docker', source, dest, flags },
        { signal: ctx.signal },
      );
    } else {
      if (source !== undefined) throw new FerryError('USAGE', `unexpected argument "${source}": --images, --mapping and --config take no SOURCE/DESTINATION`);
      overrides = true;
      if (opts['images'] !== undefined) spec = await loadSyncInput({ kind: 'images', path: opts['images'] as string, authPath: opts['auth'] as string | undefined, platforms }, { signal: ctx.signal });
      else if (opts['mapping'] !== undefined) spec = await loadSyncInput({ kind: 'mapping', path: opts['mapping'] as string, platforms }, { signal: ctx.signal });
      else spec = await loadSyncInput({ kind: 'ferry', path: opts['config'] as string }, { signal: ctx.signal });
    }
    for (const w of spec.warnings) ctx.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);

    const progress = new ProgressRenderer(ctx.output);
    let total = 0;
    let done = 0;
    const started = Date.now();
    progress.overall = () => ({ done, total });
    progress.headline = () => {
      // ETA from the pace of finished images: sizes vary, but it is honest about what it knows.
      const eta = done > 0 && done < total ? Math.round(((Date.now() - started) / done) * (total - done) / 1000) : undefined;
      if (total === 0) return 'planning';
      return `images ${done}/${total}${eta !== undefined ? `, ETA ${eta < 90 ? `${eta} s` : `${Math.round(eta / 60)} min`}` : ''}`;
    };
    const digestLines: string[] = [];
    try {
      const result = await sync(spec, {
        jobs: opts['jobs'] as number | undefined,
        keepGoing: opts['keepGoing'] === true,
        dryRun: opts['dryRun'] === true,
        preserveDigests: opts['preserveDigests'] === true,
        retryTimes: opts['retryTimes'] as number | undefined,
        shard: opts['shard'] !== undefined ? parseShard(opts['shard'] as string) : undefined,
        sourceOverrides: overrides ? sideOptions(flags.src, 'src', authfile) : undefined,
        destinationOverrides: overrides ? sideOptions(flags.dest, 'dest', authfile) : undefined,
        access: authfile !== undefined ? { authFile: authfile } : undefined,
        signatures: signatureOptionsFrom(command),
        signal: ctx.signal,
        onEvent: progress.listener,
        onPlan: (items) => {
          total = items.length;
          const skip = items.filter((i) => i.status === 'skip').length;
          // Images whose source could not be resolved are neither to copy nor up to date.
          const unresolved = items.filter((i) => i.status === 'failed').length;
          ctx.output.info(
            `Plan: ${items.length} images, ${items.length - skip - unresolved} to copy, ${skip} already up to date${unresolved > 0 ? `, ${unresolved} failed to resolve` : ''}`,
          );
        },
        onItem: (r) => {
          done++;
          if (r.status === 'copied' && r.digest) digestLines.push(`${r.digest} ${r.destination}`);
          if (r.status === 'failed') ctx.output.warn(`${r.source} → ${r.destination}: ${r.reason ?? 'failed'}`);
        },
      });
      progress.stop();
      const { report, summary } = result;
      if (opts['report'] !== undefined) await writeAtomic(opts['report'] as string, `${JSON.stringify(report, null, 2)}\n`);
      if (opts['digestfile'] !== undefined) await writeAtomic(opts['digestfile'] as string, digestLines.join('\n') + (digestLines.length ? '\n' : ''));
      if (summary) {
        if (ctx.output.mode.json) ctx.output.record({ plan: result.plan.map((p) => ({ source: p.source, destination: p.destination, digest: p.digest, status: p.status, reason: p.reason })), summary });
        else {
          for (const p of result.plan) ctx.output.out(`${p.status === 'skip' ? 'skip' : p.status === 'failed' ? 'FAIL' : 'copy'} ${p.source} → ${p.destination}${p.reason ? ` (${p.reason})` : ''}`);
          for (const s of summary) {
            ctx.output.out(
              `${s.storage}: ${s.imagesToCopy} images to copy, ${s.imagesToSkip} to skip; ${s.blobsToTransfer} blobs (${formatBytes(s.bytesToTransfer)}) to transfer, ${s.blobsPresent} (${formatBytes(s.bytesPresent)}) already there`,
            );
          }
        }
      } else if (ctx.output.mode.json) ctx.output.record({ result: report });
      const t = report.totals;
      if (!summary) ctx.output.info(`Synced ${t.images} images: ${t.copied} copied, ${t.skipped} skipped, ${t.failed} failed; ${formatBytes(t.bytes)} transferred${describeRunSignatures(report.images)}`);
      if (t.failed > 0) {
        if (!ctx.output.mode.json) {
          process.stderr.write(`ferry: ${t.failed} image(s) failed:\n`);
          for (const r of report.images.filter((i) => i.status === 'failed')) process.stderr.write(`  ${r.source} → ${r.destination}: ${r.reason ?? ''}\n`);
        }
        ctx.setExitCode(EXIT.failure);
      }
    } finally {
      progress.stop();
    }
  });
}
