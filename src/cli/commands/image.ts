import type { CommandModule } from '../context.ts';
import { addOcRegistryFlags, ocRunSettings } from '../oc-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { SyncRunOutput } from '../sync-output.ts';
import { collect } from '../typed-options.ts';

/** `ferry image mirror`: `oc image mirror`'s arguments and flags, run by the sync engine. */
export const imageCommand: CommandModule = (program, ctx) => {
  const image = program.command('image').description("oc image commands, with oc's arguments");
  const mirror = image
    .command('mirror')
    .description("Mirror images as `oc image mirror` does: SRC DST [DST…] or SRC=DST…, -f mapping files, file://REPOSITORY in oc's disk format under --dir/--from-dir")
    .argument('[mapping...]', 'SRC DST [DST…], or SRC=DST pairs; a SRC tag may end in * (file://REPO:4.3.0* takes every tag starting 4.3.0)')
    .option('-f, --filename <FILE>', 'a file of SRC DST… or SRC=DST lines (repeatable)', collect)
    .option('--dir <DIR>', "where file:// destinations are written (oc's disk format; default the working directory)")
    .option('--from-dir <DIR>', 'where file:// sources are read (default --dir)')
    .option('--filter-by-os <REGEX>', 'copy only the images of a multi-platform index whose os/arch[/variant] matches (default: the index as is)')
    .option('--keep-manifest-list', 'with --filter-by-os, write an index even when one image matches')
    .option('--dry-run', 'print the plan (images to copy and skip, blobs and bytes per destination) and copy nothing');
  addSigningFlags(addOcRegistryFlags(mirror)).action(async (args, opts, command) => {
    const { imageMirrorSpec } = await import('../../release/image-mirror.ts');
    const { sync } = await import('../../sync/sync.ts');
    const run = new SyncRunOutput(ctx, { report: opts.report });
    await run.run(
      async () => {
        const spec = await imageMirrorSpec({
          args,
          files: opts.filename,
          dir: opts.dir,
          fromDir: opts.fromDir,
          filterByOs: opts.filterByOs,
          keepManifestList: opts.keepManifestList === true,
          signal: ctx.signal,
        });
        const settings = await ocRunSettings(opts, ctx.signal);
        const result = await sync(spec, { ...settings, dryRun: opts.dryRun === true, signatures: signatureOptionsFrom(command.optsWithGlobals()), signal: ctx.signal, ...run.hooks() });
        run.finish(result, 'Mirrored');
      },
    );
  });
};
