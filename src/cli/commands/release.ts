import { FerryError } from '../../errors.ts';
import type { CommandContext, CommandModule } from '../context.ts';
import { EXIT } from '../output.ts';
import { addOcRegistryFlags, ocRunSettings } from '../oc-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { SyncRunOutput } from '../sync-output.ts';
import { collect } from '../typed-options.ts';

/** `ferry release mirror`: `oc adm release mirror`'s flags, with the release's manifests. */
export const releaseCommand: CommandModule = (program, ctx) => {
  const release = program.command('release').description('OpenShift release payloads, with the flags of oc adm release');
  const mirror = release
    .command('mirror')
    .description('Mirror an OpenShift release image and every image it names, verify its signatures, and write or apply its signature ConfigMap and mirror configuration')
    .argument('[release]', 'the release image, as --from')
    .option('--from <REF>', 'the release image: REGISTRY/REPOSITORY:TAG or @DIGEST, or file://REPOSITORY:TAG with --from-dir')
    .option('--to <REPOSITORY>', 'where every image goes, tagged <version>-<component> (the release <version>): REGISTRY/REPOSITORY, or file://REPOSITORY with --to-dir')
    .option('--to-release-image <REF>', 'also put the release image here (REGISTRY/REPOSITORY[:TAG])')
    .option('--to-dir <DIR>', "write oc's disk format (DIR/v2/openshift/release/…), the manifests to DIR/manifests and the signatures to DIR/release-signatures")
    .option('--from-dir <DIR>', "read file:// images from this directory (oc's disk format)")
    .option('--release-signature-store <URL>', 'where the release signatures are: http(s):// or file:// (laid out as sha256=<hex>/signature-<n>)')
    .option('--release-key <FILE>', 'a GPG public key the signatures must verify with (repeatable; armored or binary)', collect)
    .option('--skip-verification', 'do not verify the release signatures (they are carried as read, if a store is given)')
    .option('--manifests-to-dir <DIR>', 'write the manifests (signature ConfigMap, ICSP, IDMS, ITMS) here; default DIR/manifests with --to-dir')
    .option('--apply-manifests', 'apply the manifests to the cluster of the current kubeconfig (server-side apply)')
    .option('--overwrite', 'with --apply-manifests, replace objects that exist (otherwise they are left with a warning)')
    .option('--kubeconfig <FILE>', 'the kubeconfig for --apply-manifests (default KUBECONFIG, then ~/.kube/config)')
    .option('--context <NAME>', 'a kubeconfig context other than the current one')
    .option('--dry-run', 'read and verify the release, print the plan, write and apply nothing');
  addSigningFlags(addOcRegistryFlags(mirror)).action(async (positional, opts, command) => {
    const lib = await import('../../release/index.ts');
    const from = opts.from ?? positional;
    if (from === undefined) throw new FerryError('USAGE', 'give the release image with --from', { hint: 'e.g. ferry release mirror --from quay.io/openshift-release-dev/ocp-release:4.3.0-x86_64 --to registry.internal:5000/ocp/release' });
    if (opts.from !== undefined && positional !== undefined) throw new FerryError('USAGE', `give the release image once: --from ${opts.from} or ${positional}`);
    if (opts.overwrite === true && opts.applyManifests !== true) throw new FerryError('USAGE', '--overwrite is only valid with --apply-manifests');
    const { toDir } = opts;
    const toText = opts.to ?? (toDir !== undefined ? `file://${lib.DEFAULT_DISK_REPOSITORY}` : undefined);
    if (toText === undefined) throw new FerryError('USAGE', 'say where the release goes: --to REGISTRY/REPOSITORY, or --to-dir DIR');
    const to = lib.parseReleaseTarget(toText, toDir, '--to', { tag: false }).repository;
    if (toDir !== undefined && to.kind === 'registry') {
      throw new FerryError('USAGE', `--to-dir writes to disk, --to ${toText} to a registry: give one`, { hint: "to push a --to-dir copy later: ferry image mirror --from-dir DIR 'file://openshift/release:VERSION*' REGISTRY/REPOSITORY" });
    }
    const store = opts.releaseSignatureStore;
    const run = new SyncRunOutput(ctx, { report: opts.report });
    const result = await run.run(
      async () => {
        const mirrored = await lib.mirrorRelease({
          from: lib.parseReleaseSource(from, opts.fromDir),
          to,
          toReleaseImage: opts.toReleaseImage !== undefined ? lib.parseReleaseTarget(opts.toReleaseImage, toDir, '--to-release-image', { tag: true }) : undefined,
          signatureStore: store !== undefined ? lib.parseSignatureStore(store) : undefined,
          keys: await lib.readReleaseKeys(opts.releaseKey ?? [], { signal: ctx.signal }),
          skipVerification: opts.skipVerification === true,
          manifestsDir: opts.manifestsToDir,
          apply: opts.applyManifests === true ? { kubeconfig: opts.kubeconfig, context: opts.context, overwrite: opts.overwrite === true } : undefined,
          ...(await ocRunSettings(opts, ctx.signal)),
          dryRun: opts.dryRun === true,
          signatures: signatureOptionsFrom(command.optsWithGlobals()),
          signal: ctx.signal,
          onWarning: (m) => run.output.warn(m),
          onPhase: (phase, detail) => {
            if (phase === 'read') run.output.info(`Reading the release ${detail}…`);
            else if (phase === 'signatures') run.output.info(`Reading the release signatures from ${detail}…`);
            else if (phase === 'mirror') run.output.info(`Mirroring to ${detail}…`);
            else if (phase === 'apply') run.output.info(`Applying ${detail} to the cluster…`);
          },
          ...run.hooks(),
        });
        run.finish(mirrored.sync, 'Mirrored');
        return mirrored;
      },
      { dryRun: opts.dryRun === true },
    );
    printResult(ctx, result, { toDir, toText, signaturesDir: lib.SIGNATURES_DIR });
  });
};

type Result = Awaited<ReturnType<typeof import('../../release/index.ts').mirrorRelease>>;

/** What oc prints after a release mirror, with ferry's commands in place of oc's. */
function printResult(ctx: CommandContext, result: Result, where: { toDir: string | undefined; toText: string; signaturesDir: string }): void {
  const { output } = ctx;
  for (const a of result.applied) {
    const name = `${a.kind.toLowerCase()}/${a.name}`;
    if (a.result === 'exists') output.warn(`${name} exists in the cluster and was left as it is (use --overwrite to replace it)`);
    if (a.result === 'unknown-kind') output.warn(`the cluster does not serve ${a.kind}; ${name} was not applied (clusters before 4.13 read the ImageContentSourcePolicy)`);
  }
  const failed = result.sync.report.totals.failed > 0 || result.sync.stoppedBy !== undefined;
  if (output.mode.json) {
    output.record({
      version: result.version, digest: result.digest, source: result.source, upgradeImage: result.upgradeImage, verified: result.verified,
      signatures: result.signatures.map((s) => ({ location: s.location, signer: s.signer, identity: s.identity })),
      mappings: result.mappings, manifests: result.manifests.map((m) => m.file), written: result.written, applied: result.applied,
    });
    return;
  }
  if (failed) {
    output.warn(`nothing of the release manifests was written or applied: ${result.sync.stoppedBy?.code === 'ABORTED' ? 'the run was interrupted' : 'an image failed'}`);
    ctx.setExitCode(EXIT.failure);
    return;
  }
  const dry = result.sync.report.dryRun === true;
  const lines = [`${dry ? 'Dry run: ' : ''}release ${result.version} (${result.digest}) from ${result.source}`];
  lines.push(result.verified ? `Signatures: ${result.signatures.length} verified (${[...new Set(result.signatures.map((s) => s.signer))].join(', ')})` : `Signatures: ${result.signatures.length} carried, NOT verified (--skip-verification)`);
  if (dry) for (const m of result.manifests) lines.push(`would write ${m.file} (${m.object.kind} ${m.object.metadata.name})`);
  for (const path of result.written) lines.push(`wrote ${path}`);
  for (const a of result.applied.filter((x) => x.result === 'applied')) lines.push(`${a.kind.toLowerCase()}/${a.name} applied (server-side)`);
  if (result.upgradeImage !== undefined) {
    lines.push('', `Update image:  ${result.upgradeImage}`, `Mirror prefix: ${where.toText}`);
    if (result.installConfig !== '') {
      lines.push('', 'To use the new mirrored repository to install, add the following section to the install-config.yaml', '(imageDigestSources from 4.14 on):', '', result.installConfig.trimEnd());
    }
    lines.push('', 'To upgrade a cluster to this release:', '', `    oc adm upgrade --allow-explicit-upgrade --to-image ${result.upgradeImage}`);
  } else if (where.toDir !== undefined) {
    const repository = where.toText.replace(/^file:\/\/\/?/, '');
    lines.push('', 'To upload local images to a registry, run:', '', `    ferry image mirror --from-dir=${where.toDir} 'file://${repository}:${result.version}*' REGISTRY/REPOSITORY`);
    lines.push('', 'or, with the signature ConfigMap and the mirror configuration for that registry:', '');
    const store = result.written.some((p) => p.includes(`/${where.signaturesDir}/`)) ? ` --release-signature-store file://${where.toDir}/${where.signaturesDir} --release-key KEY` : ' --skip-verification';
    lines.push(`    ferry release mirror --from-dir=${where.toDir} --from file://${repository}:${result.version} --to REGISTRY/REPOSITORY${store} [--apply-manifests]`);
  }
  output.out(lines.join('\n'));
}
