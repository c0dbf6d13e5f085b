import { FerryError } from '../../errors.ts';
import type { CommandModule } from '../context.ts';
import { addOcRegistryFlags, ocRunSettings } from '../oc-flags.ts';
import { printReleaseMirror } from '../release-output.ts';
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
    );
    printReleaseMirror(ctx, result, { toDir, toText, signaturesDir: lib.SIGNATURES_DIR });
  });
};
