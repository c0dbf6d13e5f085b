import type { Command } from 'commander';
import type { CommandContext } from '../context.ts';
import { formatBytes } from '../progress.ts';
import { parseDuration } from '../../util/duration.ts';

export function gcCommand(program: Command, ctx: CommandContext): void {
  program
    .command('gc')
    .description('Remove the blobs of a mirror store that no image references')
    .argument('<store>', 'OCI layout directory (a mirror store)')
    .option('--dry-run', 'only report what would be removed')
    .option('--grace <DURATION>', 'keep unreferenced blobs younger than this: a writer puts blobs before the index entry naming them (default 1h)', (v: string) => parseDuration(v, '--grace'))
    .action(async (storeDir: string, opts: Record<string, unknown>) => {
      const { openLayoutStore } = await import('../../transports/layout/index.ts');
      const { gcStore } = await import('../../mirror/store/store-gc.ts');
      const store = await openLayoutStore(storeDir, { create: false, signal: ctx.signal });
      const dryRun = opts['dryRun'] === true;
      const result = await gcStore(store, { dryRun, graceMs: opts['grace'] as number | undefined, signal: ctx.signal });
      if (ctx.output.mode.json) {
        ctx.output.record({ store: store.dir, dryRun, deleted: result.deleted, count: result.deleted.length, bytes: result.bytes });
        return;
      }
      for (const d of result.deleted) ctx.output.out(`${dryRun ? 'would remove' : 'removed'} ${d}`);
      ctx.output.info(`${dryRun ? 'Would remove' : 'Removed'} ${result.deleted.length} unreferenced blob(s), ${formatBytes(result.bytes)} ${dryRun ? 'to free' : 'freed'}`);
    });
}
