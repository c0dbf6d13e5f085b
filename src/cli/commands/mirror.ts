import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { FerryError } from '../../errors.ts';
import type { CommandContext } from '../context.ts';
import { EXIT } from '../output.ts';
import { ProgressRenderer, formatBytes } from '../progress.ts';
import { accessFrom, addAccessFlags, parsePositiveInt, skopeoSideFlags } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { describeRunSignatures } from '../signature-output.ts';
import { addPruneFlags, pruneExitCode, pruneSettings, renderDeletion } from '../prune-flags.ts';
import type { PruneDeletion } from '../../sync/prune/prune.ts';


function parseFlatten(value: string): -1 | 0 | 1 | 2 | 3 {
  const n = Number(value);
  if (![-1, 0, 1, 2, 3].includes(n)) throw new FerryError('USAGE', `--flatten: expected -1, 0, 1, 2 or 3, got "${value}"`);
  return n as -1 | 0 | 1 | 2 | 3;
}

/** `docker://HOST[/PREFIX]` → registry and prefix. */
async function parseTarget(text: string): Promise<{ registry: string; prefix: string }> {
  const { splitRegistryPath } = await import('../../sync/config/registry-options.ts');
  if (!text.startsWith('docker://')) throw new FerryError('USAGE', `--to "${text}": expected docker://HOST[/PREFIX]`, { hint: 'to write to a directory, use --to-dir DIR' });
  const split = splitRegistryPath(text.slice('docker://'.length).replace(/\/+$/, ''));
  if ('problem' in split) throw new FerryError('USAGE', `--to "${text}": ${split.problem}`, { hint: 'expected docker://HOST[/PREFIX], e.g. docker://mirror.internal:5000/mirror' });
  return { registry: split.registry, prefix: split.path };
}

export function mirrorCommand(program: Command, ctx: CommandContext): void {
  const cmd = program
    .command('mirror')
    .description('Air-gapped mirroring: --config FILE --to-dir DIR (to disk), --from-dir DIR|--from-bundle OUT --to docker://HOST[/PREFIX] (disk to mirror), --config FILE --to docker://… (mirror to mirror)')
    .option('--config <FILE>', 'images to mirror: a skopeo sync YAML or a ferry sync YAML (its to: is ignored)')
    .option('--to-dir <DIR>', 'mirror to disk: write DIR/store and DIR/bundle')
    .option('--from-dir <DIR>', 'disk to mirror: push the images of DIR/store (with --from-bundle: import into DIR/store first)')
    .option('--from-bundle <OUT>', 'disk to mirror: import this bundle, then push (into the --from-dir DIR, default the bundle\'s parent directory)')
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
  addAccessFlags(cmd, 'src');
  addAccessFlags(cmd, 'dest');
  addSigningFlags(cmd);
  addPruneFlags(cmd, 'images of the store (--to-dir), of the store and the mirror (--from-dir/--from-bundle), or mirror tags (--to)');
  cmd.action(async (opts: Record<string, unknown>, command: Command) => {
    const signatures = signatureOptionsFrom(command);
    const prune = pruneSettings(opts);
    const onDeletion = (d: PruneDeletion): void => renderDeletion(ctx.output, d);
    const config = opts['config'] as string | undefined;
    const toDir = opts['toDir'] as string | undefined;
    const fromDir = opts['fromDir'] as string | undefined;
    const fromBundle = opts['fromBundle'] as string | undefined;
    const to = opts['to'] as string | undefined;
    const authfile = opts['authfile'] as string | undefined;
    const retryTimes = opts['retryTimes'] as number | undefined;
    const jobs = opts['jobs'] as number | undefined;
    const keepGoing = opts['keepGoing'] === true;
    const manifestsDir = opts['manifestsToDir'] as string | undefined;
    const insecureMirrors = opts['destTlsVerify'] === false;
    const progress = new ProgressRenderer(ctx.output);
    let done = 0;
    let total = 0;
    progress.headline = () => (total > 0 ? `images ${done}/${total}` : '');
    const kubectl = (): void => {
      if (manifestsDir !== undefined) ctx.output.out(`kubectl apply -Rf ${resolve(manifestsDir)}`);
    };
    /** The config file of the two workflows that read one, and the sync settings both give the engine. */
    const loadConfig = async (file: string) => {
      const { loadMirrorConfig } = await import('../../mirror/mirror-input.ts');
      const { sideOptions } = await import('../../sync/config/skopeo-cli.ts');
      const { spec, format } = await loadMirrorConfig(file, { src: skopeoSideFlags(opts, 'src'), authfile, signal: ctx.signal });
      for (const w of spec.warnings) ctx.output.warn(`${w.origin.file}:${w.origin.line}: ${w.message}`);
      const syncOptions = {
        jobs,
        keepGoing,
        retryTimes,
        // skopeo YAML carries its own source settings; a ferry YAML takes the --src-* flags.
        sourceOverrides: format === 'ferry' ? sideOptions(skopeoSideFlags(opts, 'src'), 'src', authfile) : undefined,
        access: authfile !== undefined ? { authFile: authfile } : undefined,
        signatures,
        prune,
        onDeletion,
        signal: ctx.signal,
        onEvent: progress.listener,
        onPlan: (items: readonly unknown[]) => void (total = items.length),
      };
      return { spec, format, syncOptions, destinationOverrides: sideOptions(skopeoSideFlags(opts, 'dest'), 'dest', authfile) };
    };

    try {
      if (config !== undefined && toDir !== undefined && to === undefined && fromDir === undefined && fromBundle === undefined) {
        if (manifestsDir !== undefined) {
          throw new FerryError('USAGE', '--manifests-to-dir: mirror to disk has no mirror registry yet, so there are no mirror sets to write', {
            hint: 'pass --manifests-to-dir to the run that pushes inside: ferry mirror --from-dir DIR --to docker://HOST[/PREFIX] --manifests-to-dir DIR',
          });
        }
        const { mirrorToDisk } = await import('../../mirror/mirror-to-disk.ts');
        const { parseSize } = await import('../../util/size.ts');
        const maxSize = opts['maxSize'] !== undefined ? parseSize(opts['maxSize'] as string, '--max-size') : undefined;
        const { spec, format, syncOptions } = await loadConfig(config);
        const result = await mirrorToDisk(spec, toDir, {
          since: opts['since'] as string | undefined,
          maxSize,
          ...syncOptions,
          preserveDigests: format === 'skopeo' ? true : undefined,
          onItem: (r) => {
            done++;
            if (r.status === 'failed') ctx.output.warn(`${r.source}: ${r.reason ?? 'failed'}`);
          },
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
        return;
      }

      if ((fromDir !== undefined || fromBundle !== undefined) && to !== undefined && config === undefined && toDir === undefined) {
        const { mirrorFromDisk } = await import('../../mirror/mirror-from-disk.ts');
        const target = await parseTarget(to);
        const dir = fromDir ?? dirname(resolve(fromBundle!));
        const access = accessFrom(opts, 'dest', { authFile: authfile, retryTimes });
        const result = await mirrorFromDisk(dir, {
          bundle: fromBundle,
          registry: target.registry,
          prefix: target.prefix,
          flatten: opts['flatten'] as -1 | 0 | 1 | 2 | 3 | undefined,
          access,
          jobs,
          keepGoing,
          resourcesDir: opts['resourcesDir'] as string | undefined,
          manifestsDir,
          resources: { insecureMirrors },
          signatures,
          prune,
          onDeletion,
          signal: ctx.signal,
          onEvent: progress.listener,
          onPhase: (phase) => {
            if (phase === 'import') ctx.output.info(`Importing ${fromBundle} into ${resolve(dir, 'store')}…`);
            else if (phase === 'verify') ctx.output.info('Verifying the store…');
            else if (phase === 'push') ctx.output.info(`Pushing to ${to}…`);
          },
          onImage: (r) => {
            done++;
            if (r.status === 'failed') ctx.output.warn(`${r.name} → ${r.destination || '?'}: ${r.reason ?? 'failed'}`);
          },
        });
        progress.stop();
        const images = result.push.images;
        const count = (s: string) => images.filter((i) => i.status === s).length;
        const bytes = images.reduce((sum, i) => sum + i.bytes, 0);
        if (ctx.output.mode.json) ctx.output.record({ imported: result.import?.manifest.id, images, mappings: result.push.mappings, resources: result.resources, manifests: result.manifests });
        else {
          ctx.output.info(`Pushed ${images.length} images to ${to}: ${count('copied')} copied, ${count('skipped')} already there, ${count('failed')} failed; ${formatBytes(bytes)} uploaded${describeRunSignatures(images)}`);
          ctx.output.info(`Cluster resources: ${result.resources.join(', ')}`);
          kubectl();
        }
        ctx.setExitCode(Math.max(pruneExitCode(ctx.output, result.storePrune), pruneExitCode(ctx.output, result.mirrorPrune)));
        if (count('failed') > 0) ctx.setExitCode(EXIT.failure);
        return;
      }

      if (config !== undefined && to !== undefined && toDir === undefined && fromDir === undefined && fromBundle === undefined) {
        const { mirrorToRegistry } = await import('../../mirror/mirror-to-registry.ts');
        const target = await parseTarget(to);
        const { spec, syncOptions, destinationOverrides } = await loadConfig(config);
        const result = await mirrorToRegistry(spec, {
          registry: target.registry,
          prefix: target.prefix,
          flatten: opts['flatten'] as -1 | 0 | 1 | 2 | 3 | undefined,
          resourcesDir: (opts['resourcesDir'] as string | undefined) ?? 'cluster-resources',
          manifestsDir,
          resources: { insecureMirrors },
          ...syncOptions,
          destinationOverrides,
          onItem: (r) => {
            done++;
            if (r.status === 'failed') ctx.output.warn(`${r.source} → ${r.destination}: ${r.reason ?? 'failed'}`);
          },
        });
        progress.stop();
        const t = result.sync.report.totals;
        if (ctx.output.mode.json) ctx.output.record({ sync: result.sync.report, mappings: result.sync.mappings, resources: result.resources, manifests: result.manifests });
        else {
          ctx.output.info(`Mirrored ${t.images} images to ${to}: ${t.copied} copied, ${t.skipped} already there, ${t.failed} failed; ${formatBytes(t.bytes)} transferred${describeRunSignatures(result.sync.report.images)}`);
          ctx.output.info(`Cluster resources: ${result.resources.join(', ')}`);
          kubectl();
        }
        ctx.setExitCode(pruneExitCode(ctx.output, result.sync.prune));
        if (result.sync.failed > 0) ctx.setExitCode(EXIT.failure);
        return;
      }
    } finally {
      progress.stop();
    }
    throw new FerryError('USAGE', 'ferry mirror needs one of: --config FILE --to-dir DIR; --from-dir DIR (or --from-bundle OUT) --to docker://HOST[/PREFIX]; --config FILE --to docker://HOST[/PREFIX]', {
      hint: 'see ferry mirror --help',
    });
  });
}
