import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { addOcRegistryFlags, collect, ocRunSettings } from '../oc-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { SyncRunOutput } from '../sync-output.ts';

/** `ferry image mirror`: `oc image mirror`'s arguments and flags, run by the sync engine. */
export function imageCommand(program: Command, ctx: CommandContext): void {
  const image = program.command('image').description('oc image commands, with oc\'s arguments');
  const mirror = image
    .command('mirror')
    .description('Mirror images as `oc image mirror` does: SRC DST [DST…] or SRC=DST…, -f mapping files, file://REPOSITORY in oc\'s disk format under --dir/--from-dir')
    .argument('[mapping...]', 'SRC DST [DST…], or SRC=DST pairs; a SRC tag may end in * (file://REPO:4.3.0* takes every tag starting 4.3.0)')
    .option('-f, --filename <FILE>', 'a file of SRC DST… or SRC=DST lines (repeatable)', collect)
    .option('--dir <DIR>', 'where file:// destinations are written (oc\'s disk format; default the working directory)')
    .option('--from-dir <DIR>', 'where file:// sources are read (default --dir)')
    .option('--filter-by-os <REGEX>', 'copy only the images of a multi-platform index whose os/arch[/variant] matches (default: the index as is)')
    .option('--keep-manifest-list', 'with --filter-by-os, write an index even when one image matches')
    .option('--dry-run', 'print the plan (images to copy and skip, blobs and bytes per destination) and copy nothing');
  addOcRegistryFlags(mirror);
  addSigningFlags(mirror);
  mirror.action(async (args: string[], opts: Record<string, unknown>, command: Command) => {
    const { imageMirrorSpec } = await import('../../release/image-mirror.ts');
    const { sync } = await import('../../sync/sync.ts');
    const spec = await imageMirrorSpec({
      args,
      files: opts['filename'] as string[] | undefined,
      dir: opts['dir'] as string | undefined,
      fromDir: opts['fromDir'] as string | undefined,
      filterByOs: opts['filterByOs'] as string | undefined,
      keepManifestList: opts['keepManifestList'] === true,
      signal: ctx.signal,
    });
    const run = new SyncRunOutput(ctx);
    try {
      const result = await sync(spec, { ...(await ocRunSettings(opts)), dryRun: opts['dryRun'] === true, signatures: signatureOptionsFrom(command), signal: ctx.signal, ...run.hooks() });
      await run.finish(result, { report: opts['report'] as string | undefined }, 'Mirrored');
    } finally {
      run.stop();
    }
  });
}
