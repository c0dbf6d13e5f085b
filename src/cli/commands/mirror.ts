import { Option } from '@commander-js/extra-typings';
import { FerryError } from '../../errors.ts';
import type { CommandModule } from '../context.ts';
import { mirrorFromDiskRun, mirrorToDiskRun, mirrorToRegistryRun } from '../mirror-run.ts';
import { addPruneFlags, pruneSettings } from '../prune-flags.ts';
import { addAccessFlags, parsePositiveInt, sideFlags } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';

function parseFlatten(value: string): -1 | 0 | 1 | 2 | 3 {
  const n = Number(value);
  if (n === -1 || n === 0 || n === 1 || n === 2 || n === 3) return n;
  throw new FerryError('USAGE', `--flatten: expected -1, 0, 1, 2 or 3, got "${value}"`);
}

export const mirrorCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('mirror')
    .description('Air-gapped mirroring: --config FILE --to-dir DIR (to disk), --from-dir DIR|--from-bundle OUT --to docker://HOST[/PREFIX] (disk to mirror), --config FILE --to docker://… (mirror to mirror)')
    .option('--config <FILE>', 'images to mirror: a skopeo sync YAML or a ferry sync YAML (its to: is ignored)')
    .option('--to-dir <DIR>', 'mirror to disk: write DIR/store and DIR/bundle')
    .option('--from-dir <DIR>', 'disk to mirror: push the images of DIR/store (with --from-bundle: import into DIR/store first)')
    .option('--from-bundle <OUT>', "disk to mirror: import this bundle, then push (into the --from-dir DIR, default the bundle's parent directory)")
    .option('--to <docker://HOST[/PREFIX]>', 'the mirror registry: images go to HOST/PREFIX/<source repository path>')
    .addOption(new Option('--flatten <N>', 'drop path elements of the source repository under PREFIX, as Harbor: -1 keeps only the name, 0 (default) none, 1–3 the first N').argParser(parseFlatten))
    .option('--resources-dir <DIR>', 'where the ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet and registries.conf go (default DIR/cluster-resources, or ./cluster-resources)')
    .option('--manifests-to-dir <DIR>', 'also write the Kubernetes manifests there, for kubectl apply -Rf DIR')
    .option('--since <PREVIOUS>', 'to disk: the previous bundle (directory or bundle.json); the new bundle carries only what it did not')
    .option('--max-size <SIZE>', 'to disk: largest bundle part, e.g. 4GiB or 700MB')
    .addOption(new Option('--jobs <N>', 'images copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .option('--keep-going', 'continue past failed images; exit 1 at the end with the list')
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .option('--authfile <FILE>', 'auth file to read credentials from');
  const flagged = addPruneFlags(addSigningFlags(addAccessFlags(addAccessFlags(cmd, 'src-'), 'dest-')), 'images of the store (--to-dir), of the store and the mirror (--from-dir/--from-bundle), or mirror tags (--to)');
  flagged.action(async (opts, command) => {
    const { config, toDir, fromDir, fromBundle, to } = opts;
    const run = {
      ...opts,
      keepGoing: opts.keepGoing === true,
      signatures: signatureOptionsFrom(command.optsWithGlobals()),
      prune: pruneSettings(opts),
      src: await sideFlags(opts, 'src-', { signal: ctx.signal }),
      dest: await sideFlags(opts, 'dest-', { signal: ctx.signal }),
    };
    if (config !== undefined && toDir !== undefined && to === undefined && fromDir === undefined && fromBundle === undefined) return mirrorToDiskRun(ctx, { ...run, config, toDir });
    if ((fromDir !== undefined || fromBundle !== undefined) && to !== undefined && config === undefined && toDir === undefined) return mirrorFromDiskRun(ctx, { ...run, to });
    if (config !== undefined && to !== undefined && toDir === undefined && fromDir === undefined && fromBundle === undefined) return mirrorToRegistryRun(ctx, { ...run, config, to });
    throw new FerryError('USAGE', 'ferry mirror needs one of: --config FILE --to-dir DIR; --from-dir DIR (or --from-bundle OUT) --to docker://HOST[/PREFIX]; --config FILE --to docker://HOST[/PREFIX]', {
      hint: 'see ferry mirror --help',
    });
  });
};
