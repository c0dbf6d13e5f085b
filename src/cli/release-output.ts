import type { ReleaseMirrorResult } from '../release/index.ts';
import type { CommandContext } from './context.ts';
import { EXIT } from './output.ts';

/** What oc prints after a release mirror, with ferry's commands in place of oc's. */
export function printReleaseMirror(ctx: CommandContext, result: ReleaseMirrorResult, where: { toDir: string | undefined; toText: string; signaturesDir: string }): void {
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
