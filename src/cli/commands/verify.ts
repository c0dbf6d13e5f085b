import type { CommandModule } from '../context.ts';
import { EXIT } from '../output.ts';
import { formatBytes } from '../progress.ts';
import { accessOptionsFrom, addAccessFlags, parsePositiveInt } from '../registry-flags.ts';

export const verifyCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('verify')
    .description('Check a mirror store: re-hash every blob and check every image\'s references; --repair fetches bad content again from the recorded sources')
    .argument('<store>', 'OCI layout directory (a mirror store)')
    .option('--repair', 're-fetch missing and corrupt content from each image\'s recorded source (io.ferry.source)')
    .option('--authfile <FILE>', 'auth file for the source registries')
    .option('--retry-times <N>', 'retries on network errors, 5xx and 429', parsePositiveInt('--retry-times'));
  addAccessFlags(cmd, 'src-').action(async (storeDir, opts) => {
    const { openLayoutStore } = await import('../../api/layout-store.ts');
    const { verifyStore } = await import('../../mirror/store/store-verify.ts');
    const store = await openLayoutStore(storeDir, { create: false, signal: ctx.signal });
    ctx.output.info(`Verifying oci:${store.dir}…`);
    const result = await verifyStore(store, { signal: ctx.signal });
    ctx.output.info(`Checked ${result.images} images, ${result.blobs} blobs (${formatBytes(result.bytes)})`);
    let remaining = result.problems;
    let repaired: Array<{ digest: string; source: string }> = [];
    let removed: string[] = [];
    if (opts.repair === true && remaining.length > 0) {
      const { repairStore } = await import('../../mirror/store/store-repair.ts');
      const access = await accessOptionsFrom(opts, 'src-', { authFile: opts.authfile, retryTimes: opts.retryTimes, signal: ctx.signal });
      const repair = await repairStore(store, result, { access, signal: ctx.signal, onRepaired: (digest, source) => ctx.output.info(`repaired ${digest} from ${source}`) });
      remaining = repair.remaining;
      repaired = repair.repaired;
      removed = repair.removed;
    }
    if (ctx.output.mode.json) {
      ctx.output.record({
        store: store.dir, images: result.images, blobs: result.blobs, bytes: result.bytes,
        problems: remaining.map(({ descriptor: _d, ...p }) => p), repaired, removed,
      });
    } else {
      for (const r of removed) ctx.output.out(`removed corrupt unreferenced blob ${r}`);
      for (const p of remaining) {
        const images = p.images.length > 0 ? `; affects ${p.images.join(', ')}` : '; no image references it';
        ctx.output.out(`${p.kind} ${p.digest} (${p.role}): ${p.detail}${images}`);
      }
      const affected = new Set(remaining.flatMap((p) => p.images));
      if (remaining.length === 0) ctx.output.info(repaired.length + removed.length > 0 ? `Repaired: ${repaired.length} fetched again, ${removed.length} removed; the store is intact` : 'The store is intact');
      else ctx.output.info(`${remaining.length} problem(s), ${affected.size} image(s) affected${opts.repair === true ? '' : ' (ferry verify --repair fetches them again where the source is reachable)'}`);
    }
    if (remaining.length > 0) ctx.setExitCode(EXIT.failure);
  });
};
