import { Option, type Command } from 'commander';
import { FerryError } from '../../errors.ts';
import { parsePlatform } from '../../oci/platform.ts';
import type { CommandContext } from '../context.ts';
import { addAccessFlags, addDaemonHostFlag, parsePositiveInt, skopeoSideFlags } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { SyncRunOutput } from '../sync-output.ts';
import { addPruneFlags, pruneExitCode, pruneSettings, renderDeletion } from '../prune-flags.ts';
import { watchSchedule } from '../watch-flags.ts';

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
  addPruneFlags(cmd);
  cmd
    .option('--watch', 'sync again and again: on --interval or --schedule, reading the input each cycle; SIGHUP for a cycle now; implies --keep-going')
    .option('--interval <DURATION>', 'with --watch: rest between the end of one cycle and the start of the next (default 15m)')
    .option('--schedule <CRON>', 'with --watch: start cycles at these times instead, e.g. "*/15 * * * *" or "0 3 * * *"')
    .option('--jitter <DURATION>', 'with --watch: add up to this much at random to each wait (default 10% of it, at most 1m)')
    .option('--metrics-addr <HOST:PORT>', 'with --watch: serve Prometheus /metrics, /healthz and /readyz here');
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
    const { schedule, jitterMs } = watchSchedule(opts);
    const loadSpec = async (signal: AbortSignal) => {
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
          { signal },
        );
      } else {
        if (source !== undefined) throw new FerryError('USAGE', `unexpected argument "${source}": --images, --mapping and --config take no SOURCE/DESTINATION`);
        overrides = true;
        if (opts['images'] !== undefined) spec = await loadSyncInput({ kind: 'images', path: opts['images'] as string, authPath: opts['auth'] as string | undefined, platforms }, { signal });
        else if (opts['mapping'] !== undefined) spec = await loadSyncInput({ kind: 'mapping', path: opts['mapping'] as string, platforms }, { signal });
        else spec = await loadSyncInput({ kind: 'ferry', path: opts['config'] as string }, { signal });
      }
      return { spec, overrides };
    };
    const { spec, overrides } = await loadSpec(ctx.signal);
    for (const w of spec.warnings) ctx.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);
    const common = {
      jobs: opts['jobs'] as number | undefined,
      preserveDigests: opts['preserveDigests'] === true,
      retryTimes: opts['retryTimes'] as number | undefined,
      shard: opts['shard'] !== undefined ? parseShard(opts['shard'] as string) : undefined,
      sourceOverrides: overrides ? sideOptions(flags.src, 'src', authfile) : undefined,
      destinationOverrides: overrides ? sideOptions(flags.dest, 'dest', authfile) : undefined,
      access: authfile !== undefined ? { authFile: authfile } : undefined,
      signatures: signatureOptionsFrom(command),
      prune: pruneSettings(opts),
    };
    if (opts['watch'] === true) {
      if (opts['dryRun'] === true) throw new FerryError('USAGE', '--watch and --dry-run cannot be combined');
      const { runWatch } = await import('../watch-run.ts');
      return runWatch(ctx, {
        ...common,
        keepGoing: true,
        load: async (signal) => (await loadSpec(signal)).spec,
        schedule,
        jitterMs,
        metricsAddr: opts['metricsAddr'] as string | undefined,
        report: opts['report'] as string | undefined,
        onItem: (r) => {
          if (r.status === 'failed') ctx.output.warn(`${r.source} → ${r.destination}: ${r.reason ?? 'failed'}`);
        },
      });
    }

    const run = new SyncRunOutput(ctx);
    try {
      const result = await sync(spec, {
        ...common,
        keepGoing: opts['keepGoing'] === true,
        dryRun: opts['dryRun'] === true,
        onDeletion: (d) => renderDeletion(ctx.output, d),
        signal: ctx.signal,
        ...run.hooks(),
      });
      await run.finish(result, { report: opts['report'] as string | undefined, digestfile: opts['digestfile'] as string | undefined });
      ctx.setExitCode(pruneExitCode(ctx.output, result.prune, opts['dryRun'] === true));
    } finally {
      run.stop();
    }
  });
}
