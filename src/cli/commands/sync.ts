import { Option } from '@commander-js/extra-typings';
import { FerryError } from '../../errors.ts';
import { SYNC_DESTINATION_TRANSPORTS } from '../../transports/transport-table.ts';
import type { CommandModule } from '../context.ts';
import { addPruneFlags, pruneSettings } from '../prune-flags.ts';
import { addAccessFlags, addDaemonHostFlag, parsePositiveInt, sideFlags } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { runSync } from '../sync-run.ts';
import { collect } from '../typed-options.ts';
import { addWatchFlags, watchSchedule } from '../watch-flags.ts';

export const syncCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('sync')
    .description('Copy many images at once: skopeo sync, image-syncer, `oc image mirror` and ferry inputs, one deduplicated parallel plan')
    .argument('[source]', 'with --src: a repository (docker, docker-daemon, containers-storage), a sync YAML file (yaml) or an OCI layout (oci)')
    .argument('[destination]', 'with --dest: REGISTRY[/PATH] (docker) or a directory (oci, dir)')
    .addOption(new Option('--src <transport>', 'skopeo-style source kind').choices(['docker', 'yaml', 'oci', 'docker-daemon', 'containers-storage'] as const))
    .addOption(new Option('-d, --dest <transport>', 'skopeo-style destination kind').choices(SYNC_DESTINATION_TRANSPORTS))
    .option('--images <FILE>', 'image-syncer images file (JSON or YAML)')
    .option('--auth <FILE>', 'image-syncer auth file, with --images or an image-syncer --config')
    .option('--mapping <FILE>', '`oc image mirror` mapping file (SRC DST or SRC=DST per line)')
    .option('--config <FILE>', 'ferry sync YAML, or image-syncer\'s combined {auth, images} file (told apart by their keys)')
    .option('--registry <REGISTRY>', 'image-syncer: default registry of empty destinations (else $DEFAULT_REGISTRY)')
    .option('--namespace <NAMESPACE>', 'image-syncer: default namespace of empty destinations (else $DEFAULT_NAMESPACE)')
    .option('--scoped', 'keep the full source path under DESTINATION (skopeo --scoped)')
    .option('--append-suffix <SUFFIX>', 'append to every destination tag')
    .option('-a, --all', 'copy every platform of multi-platform images')
    .addOption(new Option('--platform <os/arch[/variant]>', 'copy these platforms (repeatable; --images/--mapping)').argParser(collect))
    .addOption(new Option('--os <OS[,OS…]>', 'image-syncer: copy only instances of these operating systems (repeatable)').argParser(collect))
    .addOption(new Option('--arch <ARCH[,ARCH…]>', 'image-syncer: copy only instances of these architectures (repeatable)').argParser(collect))
    .option('--preserve-digests', 'fail rather than change any digest')
    .option('--keep-going', 'continue past failed images; exit 1 at the end with the list (always on for image-syncer inputs)')
    .option('--dry-run', 'print the plan (images to copy and skip, blobs and bytes per destination) and copy nothing')
    .addOption(new Option('--jobs <N>', 'images copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .addOption(new Option('--proc <N>', 'image-syncer\'s name for --jobs').argParser(parsePositiveInt('--proc', 1)))
    .addOption(new Option('--retry-times <N>', 'retries of a request on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .addOption(new Option('--retries <N>', 'passes over failed images after the first (default 1; image-syncer inputs 2)').argParser(parsePositiveInt('--retries')))
    .option('--report <FILE>', 'write a JSON report whenever the run ends: every image with its status, digest and bytes, and totals')
    .option('--digestfile <FILE>', 'write "DIGEST DESTINATION" per copied image')
    .option('--log <FILE>', 'write messages and progress to FILE (appended) instead of stderr')
    .option('--shard <I/N>', 'run only slice I (0-based) of N of the plan, split by repository')
    .option('--authfile <FILE>', 'auth file to read credentials from');
  const flagged = addWatchFlags(addPruneFlags(addSigningFlags(addDaemonHostFlag(addAccessFlags(addAccessFlags(cmd, 'src-'), 'dest-'), 'src-'))));
  flagged.action(async (source, destination, opts, command) => {
    if (opts.jobs !== undefined && opts.proc !== undefined) throw new FerryError('USAGE', '--jobs and --proc are the same setting; give one');
    await runSync(ctx, {
      commandLine: {
        ...opts,
        source,
        destination,
        daemonHost: opts.srcDaemonHost,
        srcAccess: await sideFlags(opts, 'src-', { signal: ctx.signal }),
        destAccess: await sideFlags(opts, 'dest-', { signal: ctx.signal }),
      },
      jobs: opts.jobs ?? opts.proc,
      retryPasses: opts.retries,
      keepGoing: opts.keepGoing === true,
      dryRun: opts.dryRun === true,
      preserveDigests: opts.preserveDigests === true,
      retryTimes: opts.retryTimes,
      shard: opts.shard,
      report: opts.report,
      digestfile: opts.digestfile,
      log: opts.log,
      signatures: signatureOptionsFrom(command.optsWithGlobals()),
      prune: pruneSettings(opts),
      watch: watchSchedule(opts),
    });
  });
};
