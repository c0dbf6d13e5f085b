import { dirname, resolve } from 'node:path';
import { FerryError } from '../errors.ts';
import type { SignatureOptions } from '../signature/signature-session.ts';
import type { FlattenLevel } from '../sync/config/sync-spec.ts';
import type { SkopeoSideFlags } from '../sync/config/skopeo-cli.ts';
import type { ItemResult } from '../sync/engine/report.ts';
import type { PruneDeletion } from '../sync/prune/prune.ts';
import type { PruneSettings } from '../sync/prune/prune-sync.ts';
import type { CommandContext } from './context.ts';
import { EXIT } from './output.ts';
import { ProgressRenderer, formatBytes, imageCounter } from './progress.ts';
import { pruneExitCode, renderDeletion } from './prune-flags.ts';
import { accessFrom } from './registry-flags.ts';
import { describeRunSignatures } from './signature-output.ts';
import { itemFailure } from './sync-output.ts';

/** The `ferry mirror` flags the three workflows read. */
export interface MirrorRun {
  flatten?: FlattenLevel | undefined;
  resourcesDir?: string | undefined;
  manifestsToDir?: string | undefined;
  since?: string | undefined;
  maxSize?: string | undefined;
  jobs?: number | undefined;
  keepGoing: boolean;
  retryTimes?: number | undefined;
  authfile?: string | undefined;
  fromDir?: string | undefined;
  fromBundle?: string | undefined;
  src: SkopeoSideFlags;
  dest: SkopeoSideFlags;
  /** The signature policy, carrying and signing (`--policy`, `--remove-signatures`, `--sign-by`, …). */
  signatures: SignatureOptions;
  /** `--prune`: make the store, the mirror or both exact. */
  prune?: PruneSettings | undefined;
}

/** Progress, the `kubectl apply` line and the config both config-driven workflows read. */
async function start(ctx: CommandContext, run: MirrorRun, config?: string) {
  const progress = new ProgressRenderer(ctx.output);
  const images = imageCounter(progress);
  const kubectl = (): void => {
    if (run.manifestsToDir !== undefined) ctx.output.out(`kubectl apply -Rf ${resolve(run.manifestsToDir)}`);
  };
  const onItem = (r: ItemResult): void => {
    images.finished();
    itemFailure(ctx.output, r);
  };
  const onDeletion = (d: PruneDeletion): void => renderDeletion(ctx.output, d);
  if (config === undefined) return { progress, images, kubectl, onDeletion };
  const { loadMirrorConfig } = await import('../mirror/mirror-input.ts');
  const { sideOptions } = await import('../sync/config/skopeo-cli.ts');
  const { spec, format } = await loadMirrorConfig(config, { src: run.src, authfile: run.authfile, signal: ctx.signal });
  for (const w of spec.warnings) ctx.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);
  const sync = {
    jobs: run.jobs,
    keepGoing: run.keepGoing,
    retryTimes: run.retryTimes,
    // skopeo YAML carries its own source settings; a ferry YAML takes the --src-* flags.
    sourceOverrides: format === 'ferry' ? sideOptions(run.src, 'src', run.authfile) : undefined,
    destinationOverrides: sideOptions(run.dest, 'dest', run.authfile),
    access: run.authfile !== undefined ? { authFile: run.authfile } : undefined,
    signatures: run.signatures,
    prune: run.prune,
    signal: ctx.signal,
    onEvent: progress.listener,
    onPlan: (_items: unknown, counts: { images: number }) => images.total(counts.images),
    onItem,
    onDeletion,
  };
  return { progress, images, kubectl, onDeletion, loaded: { spec, format, sync } };
}

/** `--config FILE --to-dir DIR`: the images into DIR/store, then DIR/bundle. */
export async function mirrorToDiskRun(ctx: CommandContext, run: MirrorRun & { config: string; toDir: string }): Promise<void> {
  if (run.manifestsToDir !== undefined) {
    throw new FerryError('USAGE', '--manifests-to-dir: mirror to disk has no mirror registry yet, so there are no mirror sets to write', {
      hint: 'pass --manifests-to-dir to the run that pushes inside: ferry mirror --from-dir DIR --to docker://HOST[/PREFIX] --manifests-to-dir DIR',
    });
  }
  const { mirrorToDisk } = await import('../mirror/mirror-to-disk.ts');
  const { parseSize } = await import('../util/size.ts');
  const maxSize = run.maxSize !== undefined ? parseSize(run.maxSize, '--max-size') : undefined;
  const { progress, loaded } = await start(ctx, run, run.config);
  try {
    const { destinationOverrides: _d, ...sync } = loaded!.sync;
    const result = await mirrorToDisk(loaded!.spec, run.toDir, {
      ...sync,
      since: run.since,
      maxSize,
      preserveDigests: loaded!.format === 'skopeo' ? true : undefined,
      onWarning: (m) => ctx.output.warn(m),
      onPart: (p) => ctx.output.info(`wrote ${p.name}: ${p.blobs} blob(s), ${formatBytes(p.size)}`),
    });
    progress.stop();
    const t = result.sync.report.totals;
    const m = result.bundle.manifest;
    if (ctx.output.mode.json) ctx.output.record({ store: result.store, sync: result.sync.report, bundle: { dir: result.bundle.dir, id: m.id, extends: m.extends, parts: m.parts.length, blobs: m.blobs.length, signatures: m.signatures?.length ?? 0 } });
    else {
      ctx.output.info(`Mirrored ${t.images} images into ${result.store}: ${t.copied} copied, ${t.skipped} already there, ${t.failed} failed; ${formatBytes(t.bytes)} transferred${describeRunSignatures(result.sync.report.images)}`);
      ctx.output.out(`bundle ${m.id}${m.extends !== undefined ? ` (extends ${m.extends})` : ''}: ${m.blobs.length} blobs (${formatBytes(result.bundle.blobBytes)}) in ${m.parts.length} part(s) in ${result.bundle.dir}`);
    }
    ctx.setExitCode(pruneExitCode(ctx.output, result.sync.prune));
    if (result.sync.failed > 0) ctx.setExitCode(EXIT.failure);
  } finally {
    progress.stop();
  }
}

/** `--from-dir DIR | --from-bundle OUT --to docker://…`: (import,) verify and push the store. */
export async function mirrorFromDiskRun(ctx: CommandContext, run: MirrorRun & { to: string }): Promise<void> {
  const { mirrorFromDisk } = await import('../mirror/mirror-from-disk.ts');
  const { parseMirrorRegistry } = await import('../mirror/mirror-input.ts');
  const target = parseMirrorRegistry(run.to);
  const dir = run.fromDir ?? dirname(resolve(run.fromBundle!));
  const { progress, images, kubectl, onDeletion } = await start(ctx, run);
  try {
    const result = await mirrorFromDisk(dir, {
      bundle: run.fromBundle,
      registry: target.registry,
      prefix: target.prefix,
      flatten: run.flatten,
      access: accessFrom(run.dest, 'dest-', { authFile: run.authfile, retryTimes: run.retryTimes }),
      jobs: run.jobs,
      keepGoing: run.keepGoing,
      resourcesDir: run.resourcesDir,
      manifestsDir: run.manifestsToDir,
      resources: { insecureMirrors: run.dest.tlsVerify === false },
      signatures: run.signatures,
      prune: run.prune,
      onDeletion,
      signal: ctx.signal,
      onEvent: progress.listener,
      onPhase: (phase) => {
        if (phase === 'import') ctx.output.info(`Importing ${run.fromBundle} into ${resolve(dir, 'store')}…`);
        else if (phase === 'verify') ctx.output.info('Verifying the store…');
        else if (phase === 'push') ctx.output.info(`Pushing to ${run.to}…`);
      },
      onImage: (r) => {
        images.finished();
        if (r.status === 'failed') ctx.output.warn(`${r.name} → ${r.destination || '?'}: ${r.reason ?? 'failed'}${r.hint ? `\n  hint: ${r.hint}` : ''}`);
      },
    });
    progress.stop();
    const pushed = result.push.images;
    const count = (s: string) => pushed.filter((i) => i.status === s).length;
    if (ctx.output.mode.json) ctx.output.record({ imported: result.import?.manifest.id, images: pushed, mappings: result.push.mappings, resources: result.resources, manifests: result.manifests });
    else {
      const bytes = pushed.reduce((sum, i) => sum + i.bytes, 0);
      ctx.output.info(`Pushed ${pushed.length} images to ${run.to}: ${count('copied')} copied, ${count('skipped')} already there, ${count('failed')} failed; ${formatBytes(bytes)} uploaded${describeRunSignatures(pushed)}`);
      ctx.output.info(`Cluster resources: ${result.resources.join(', ')}`);
      kubectl();
    }
    ctx.setExitCode(Math.max(pruneExitCode(ctx.output, result.storePrune), pruneExitCode(ctx.output, result.mirrorPrune)));
    if (count('failed') > 0) ctx.setExitCode(EXIT.failure);
  } finally {
    progress.stop();
  }
}

/** `--config FILE --to docker://…`: straight from the sources to the mirror registry. */
export async function mirrorToRegistryRun(ctx: CommandContext, run: MirrorRun & { config: string; to: string }): Promise<void> {
  const { mirrorToRegistry } = await import('../mirror/mirror-to-registry.ts');
  const { parseMirrorRegistry } = await import('../mirror/mirror-input.ts');
  const target = parseMirrorRegistry(run.to);
  const { progress, kubectl, loaded } = await start(ctx, run, run.config);
  try {
    const result = await mirrorToRegistry(loaded!.spec, {
      ...loaded!.sync,
      registry: target.registry,
      prefix: target.prefix,
      flatten: run.flatten,
      resourcesDir: run.resourcesDir ?? 'cluster-resources',
      manifestsDir: run.manifestsToDir,
      resources: { insecureMirrors: run.dest.tlsVerify === false },
    });
    progress.stop();
    const t = result.sync.report.totals;
    if (ctx.output.mode.json) ctx.output.record({ sync: result.sync.report, mappings: result.sync.mappings, resources: result.resources, manifests: result.manifests });
    else {
      ctx.output.info(`Mirrored ${t.images} images to ${run.to}: ${t.copied} copied, ${t.skipped} already there, ${t.failed} failed; ${formatBytes(t.bytes)} transferred${describeRunSignatures(result.sync.report.images)}`);
      ctx.output.info(`Cluster resources: ${result.resources.join(', ')}`);
      kubectl();
    }
    ctx.setExitCode(pruneExitCode(ctx.output, result.sync.prune));
    if (result.sync.failed > 0) ctx.setExitCode(EXIT.failure);
  } finally {
    progress.stop();
  }
}
