import { FerryError } from '../../../errors.ts';
import { digestPins } from '../../../k8s/digest-pins.ts';
import { parseReplaceRule } from '../../../k8s/replace-rules.ts';
import { formatRewriteDiff, formatRewriteSummary, rewriteResources, type RewriteOutput } from '../../../k8s/rewrite-files.ts';
import { readSyncReport } from '../../../k8s/sync-report.ts';
import type { CommandContext } from '../../context.ts';
import { EXIT } from '../../output.ts';
import { collect } from '../../typed-options.ts';
import type { K8sCommand } from './k8s-group.ts';

/** `ferry k8s rewrite`: image references in exported resources, moved and pinned. */
export function addK8sRewriteCommand(k8s: K8sCommand, ctx: CommandContext): void {
  k8s
    .command('rewrite')
    .description('Rewrite image references in exported resources, keeping comments and formatting')
    .argument('<path...>', 'files or directories')
    .option('--replace <FROM=TO>', 'replace a registry or repository prefix (repeatable; longest FROM wins)', collect, [])
    .option('--out <DIR>', 'write the rewritten tree to DIR')
    .option('--in-place', 'rewrite the files where they are')
    .option('--pin-digests <REPORT>', 'replace tags by the digests recorded in a ferry sync --report file')
    .option('--dry-run', 'print a unified diff and change nothing')
    .action(async (paths, opts) => {
      if (opts.out !== undefined && opts.inPlace === true) throw new FerryError('USAGE', '--out and --in-place are mutually exclusive');
      if (opts.out === undefined && opts.inPlace !== true && opts.dryRun !== true) {
        throw new FerryError('USAGE', 'rewrite needs --out DIR or --in-place (or --dry-run)');
      }
      if (opts.replace.length === 0 && opts.pinDigests === undefined) {
        throw new FerryError('USAGE', 'rewrite needs at least one --replace FROM=TO or --pin-digests REPORT');
      }
      const rules = opts.replace.map(parseReplaceRule);
      const pins = opts.pinDigests !== undefined ? digestPins(await readSyncReport(opts.pinDigests, { signal: ctx.signal })) : undefined;
      const output: RewriteOutput =
        opts.dryRun === true ? { mode: 'dry-run' } : opts.inPlace === true ? { mode: 'in-place' } : { mode: 'out', dir: opts.out! };
      const result = await rewriteResources(paths, { rules, pins, output, signal: ctx.signal });
      const summary = formatRewriteSummary(result);
      if (opts.dryRun === true) {
        const diff = formatRewriteDiff(result);
        if (diff !== '') ctx.output.out(diff);
        ctx.output.info(summary.trimEnd());
      } else {
        ctx.output.out(summary);
      }
      if (pins !== undefined && !result.files.some((f) => f.changes.some((c) => c.pinned))) {
        ctx.output.warn(
          pins.entries === 0
            ? `--pin-digests ${opts.pinDigests}: the report has no copied image with a digest; nothing was pinned`
            : `--pin-digests ${opts.pinDigests}: none of the report's ${pins.entries} image${pins.entries === 1 ? '' : 's'} matches an image reference here (by destination, or for references a --replace rule moved, by source repository and tag); nothing was pinned`,
        );
      }
      if (result.files.some((f) => f.errors.length > 0)) ctx.setExitCode(EXIT.failure);
    });
}
