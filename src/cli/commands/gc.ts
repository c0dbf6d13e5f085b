import type { CommandModule } from '../context.ts';
import { formatBytes } from '../progress.ts';
import { parseDuration } from '../../util/duration.ts';

export const gcCommand: CommandModule = (program, ctx) => {
  program
    .command('gc')
    .description('Remove the blobs of a mirror store that no image references')
    .argument('<store>', 'OCI layout directory (a mirror store)')
    .option('--dry-run', 'only report what would be removed')
    .option('--grace <DURATION>', 'keep unreferenced blobs younger than this: a writer puts blobs before the index entry naming them (default 1h)', (v) => parseDuration(v, '--grace'))
    .action(async (storeDir, opts) => {
      const { openLayoutStore } = await import('../../api/layout-store.ts');
      const { gcStore } = await import('../../mirror/store/store-gc.ts');
      const store = await openLayoutStore(storeDir, { create: false, signal: ctx.signal });
      const dryRun = opts.dryRun === true;
      const result = await gcStore(store, { dryRun, graceMs: opts.grace, signal: ctx.signal });
      if (ctx.output.mode.json) {
        ctx.output.record({ store: store.dir, dryRun, deleted: result.deleted, count: result.deleted.length, bytes: result.bytes });
        return;
      }
      for (const d of result.deleted) ctx.output.out(`${dryRun ? 'would remove' : 'removed'} ${d}`);
      ctx.output.info(`${dryRun ? 'Would remove' : 'Removed'} ${result.deleted.length} unreferenced blob(s), ${formatBytes(result.bytes)} ${dryRun ? 'to free' : 'freed'}`);
    });
};
