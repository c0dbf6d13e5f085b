import { FerryError } from '../errors.ts';
import type { SignatureOptions, SignatureSession } from '../signature/signature-session.ts';
import type { PruneDeletion } from '../sync/prune/prune.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';
import type { CommandContext } from './context.ts';
import { EXIT } from './output.ts';
import { formatBytes } from './progress.ts';
import { pruneExitCode, renderDeletion } from './prune-flags.ts';

/** What `ferry bundle import` was asked for beyond the bundle and the store. */
export interface BundleImportRun {
  prune?: PruneSettings | undefined;
  /** With `prune`: only say what would be removed. */
  dryRun: boolean;
  /** The global trust flags: a `--policy` given names only the images it accepts. */
  signatures: SignatureOptions;
}

/**
 * `ferry bundle import OUT STORE`: verifies and unpacks the bundle (judged
 * by the policy when one is given), then with `--prune` removes what the
 * bundle's origin no longer holds; `--prune --dry-run` only says what.
 */
export async function bundleImportRun(ctx: CommandContext, out: string, storeDir: string, run: BundleImportRun): Promise<void> {
  const { openLayoutStore } = await import('../api/layout-store.ts');
  const { importBundle } = await import('../mirror/bundle/bundle-import.ts');
  const { withSignatureSession } = await import('../signature/signed-copy.ts');
  const { pruneImported } = await import('../mirror/bundle/bundle-prune.ts');
  const { readBundleManifest } = await import('../mirror/bundle/bundle-format.ts');
  const { prune: pruning, dryRun, signatures: trust } = run;
  if (dryRun && !pruning) throw new FerryError('USAGE', '--dry-run goes with --prune (a bundle import has nothing else to preview)');
  const store = await openLayoutStore(storeDir, { create: true, signal: ctx.signal });
  const pruneOptions = {
    ...pruning,
    dryRun,
    signal: ctx.signal,
    onEvent: (e: { type: string; message?: string }) => void (e.type === 'warning' && ctx.output.warn(e.message ?? '')),
    onDeletion: (d: PruneDeletion) => renderDeletion(ctx.output, d),
  };
  if (dryRun) {
    ctx.setExitCode(pruneExitCode(ctx.output, await pruneImported(await readBundleManifest(out, { signal: ctx.signal }), store, pruneOptions), true));
    return;
  }
  // The policy is checked only when asked for: an import unpacks, the push out of the store enforces.
  const judged = trust.policyPath !== undefined;
  const unpack = (policy?: SignatureSession) => importBundle(out, store, { policy, signal: ctx.signal, onPart: (name, n) => ctx.output.info(`${name}: ${n} blob(s) stored`) });
  const result = judged ? await withSignatureSession(trust, unpack) : await unpack();
  for (const r of result.refused) ctx.output.warn(`refused ${r.name}: ${r.reason}`);
  if (result.refused.length > 0) ctx.setExitCode(EXIT.failure);
  if (pruning) ctx.setExitCode(pruneExitCode(ctx.output, await pruneImported(result.manifest, store, pruneOptions)));
  if (ctx.output.mode.json) {
    ctx.output.record({ store: store.dir, id: result.manifest.id, images: result.images, written: result.written, present: result.present, bytes: result.bytesWritten, signatures: result.signatures, refused: result.refused, again: result.again });
    return;
  }
  ctx.output.out(
    `imported bundle ${result.manifest.id}${result.again ? ' (again)' : ''} into ${store.dir}: ${result.images} images, ${result.written} blobs stored (${formatBytes(result.bytesWritten)}), ${result.present} already present, ${result.signatures} GPG signature(s) stored${judged ? `; ${result.refused.length} refused by the signature policy` : ''}`,
  );
}
