import type { CommandModule } from '../context.ts';
import { addPruneFlags, pruneSettings } from '../prune-flags.ts';
import { EXIT } from '../output.ts';
import { formatBytes } from '../progress.ts';
import { signatureOptionsFrom } from '../signature-flags.ts';

export const bundleCommand: CommandModule = (program, ctx) => {
  const bundle = program.command('bundle').description('Carry a mirror store across an air gap: numbered tar parts with a checked table of contents');

  bundle
    .command('create')
    .description('Write a bundle of STORE into OUT: mirror_000001.tar… and bundle.json (written last)')
    .argument('<store>', 'OCI layout directory (a mirror store)')
    .argument('<out>', 'directory for the bundle (created; must not hold a finished bundle unless --force)')
    .option('--since <PREVIOUS>', 'a previous bundle (its directory or its bundle.json): carry only what it did not')
    .option('--max-size <SIZE>', 'largest part, e.g. 4GiB or 700MB (a larger single blob gets a part of its own)')
    .option('--force', 'replace a finished bundle already in OUT')
    .action(async (storeDir, out, opts) => {
      const { openLayoutStore } = await import('../../api/layout-store.ts');
      const { createBundle, bundleSize } = await import('../../mirror/bundle/bundle-create.ts');
      const { parseSize } = await import('../../util/size.ts');
      const maxSize = opts.maxSize !== undefined ? parseSize(opts.maxSize, '--max-size') : undefined;
      const store = await openLayoutStore(storeDir, { create: false, signal: ctx.signal });
      const result = await createBundle(store, out, {
        since: opts.since,
        maxSize,
        overwrite: opts.force === true,
        signal: ctx.signal,
        onWarning: (m) => ctx.output.warn(m),
        onPart: (p) => ctx.output.info(`wrote ${p.name}: ${p.blobs} blob(s), ${formatBytes(p.size)}`),
      });
      const m = result.manifest;
      if (ctx.output.mode.json) {
        ctx.output.record({ bundle: result.dir, id: m.id, extends: m.extends, images: m.images.length, blobs: m.blobs.length, parts: m.parts });
        return;
      }
      ctx.output.out(`bundle ${m.id}${m.extends !== undefined ? ` (extends ${m.extends})` : ''}: ${m.images.length} images, ${m.blobs.length} blobs in ${m.parts.length} part(s), ${formatBytes(await bundleSize(result.dir, m))} in ${result.dir}`);
    });

  bundle
    .command('verify')
    .description('Check every part (size, sha256) and every blob inside a bundle; exit 1 naming what is damaged or missing')
    .argument('<out>', 'bundle directory')
    .action(async (out) => {
      const { verifyBundle } = await import('../../mirror/bundle/bundle-verify.ts');
      const result = await verifyBundle(out, {
        signal: ctx.signal,
        onPart: (p, problems) => ctx.output.info(`${p.name}: ${problems === 0 ? 'ok' : `${problems} problem(s)`}`),
      });
      if (ctx.output.mode.json) ctx.output.record({ bundle: result.dir, id: result.manifest.id, parts: result.parts, blobs: result.blobs, signatures: result.signatures, bytes: result.bytes, problems: result.problems });
      else {
        for (const p of result.problems) ctx.output.out(`${p.kind} ${p.part}${p.digest !== undefined ? ` ${p.digest}` : ''}: ${p.detail}`);
        ctx.output.info(
          result.problems.length === 0
            ? `bundle ${result.manifest.id} is intact: ${result.parts} part(s), ${result.blobs} blobs, ${result.signatures} GPG signature(s), ${formatBytes(result.bytes)}`
            : `bundle ${result.manifest.id}: ${result.problems.length} problem(s)`,
        );
      }
      if (result.problems.length > 0) ctx.setExitCode(EXIT.failure);
    });

  const importCmd = bundle
    .command('import')
    .description('Verify a bundle and unpack it into STORE (incremental bundles need their predecessor imported first); with --policy, name only the images the signature policy accepts')
    .argument('<out>', 'bundle directory')
    .argument('<store>', 'OCI layout directory to unpack into (created if missing)')
    .option('--dry-run', 'with --prune: print what would be removed from STORE; import nothing');
  addPruneFlags(importCmd, 'images of STORE').action(async (out, storeDir, opts, command) => {
    const { bundleImportRun } = await import('../bundle-import-run.ts');
    await bundleImportRun(ctx, out, storeDir, { prune: pruneSettings(opts), dryRun: opts.dryRun === true, signatures: signatureOptionsFrom(command.optsWithGlobals()) });
  });
};
