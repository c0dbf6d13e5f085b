import { formatScanJson, formatScanTable } from '../../../k8s/scan-format.ts';
import { scanResources } from '../../../k8s/scan.ts';
import type { CommandContext } from '../../context.ts';
import { EXIT } from '../../output.ts';
import { collect } from '../../typed-options.ts';
import { reportFileErrors, type K8sCommand } from './k8s-group.ts';
import { Option } from '@commander-js/extra-typings';
import { parseBool } from '../../registry-flags.ts';
import { formatExplain, syncGen } from '../../../k8s/sync-gen.ts';
import { writeMirrorConfig } from '../../../k8s/report-mirror-config.ts';

/** `ferry k8s scan`, `sync-gen` and `mirror-config`: finding images, staging them, and the cluster's mirror configuration. */
export function addK8sScanCommands(k8s: K8sCommand, ctx: CommandContext): void {
  k8s
    .command('scan')
    .description('List every image reference in exported resources (YAML/JSON files or directories)')
    .argument('<path...>', 'files or directories (crane export output, kubectl get -o yaml, …)')
    .option('--json', 'print JSON instead of a table')
    .action(async (paths, opts) => {
      const result = await scanResources(paths, { signal: ctx.signal });
      ctx.output.out(opts.json === true || ctx.output.mode.json ? formatScanJson(result) : formatScanTable(result));
      if (result.errors.length > 0) ctx.setExitCode(EXIT.failure);
    });

  k8s
    .command('sync-gen')
    .description('Write a skopeo/ferry sync YAML for the ImageStream tags that exist only in the source cluster registry')
    .requiredOption('--export-dir <DIR>', 'crane export output (or any directory of exported resources)')
    .requiredOption('--registry-url <HOST>', "the source cluster registry's public route, HOST[:PORT]")
    .option('--internal-registry <HOST>', 'another name of the internal registry (repeatable)', collect, [])
    .addOption(new Option('--tls-verify [BOOL]', 'false writes tls-verify: false for the registry').argParser(parseBool('--tls-verify')))
    .option('--explain', 'print each ImageStream tag, its class and why, instead of the YAML')
    .action(async (opts) => {
      const result = await syncGen({
        exportDir: opts.exportDir,
        registryUrl: opts.registryUrl,
        internalRegistries: opts.internalRegistry,
        tlsVerify: opts.tlsVerify,
        signal: ctx.signal,
      });
      reportFileErrors(ctx, result.errors);
      ctx.output.out(opts.explain === true ? formatExplain(result.tags) : result.yaml);
      const staged = result.tags.filter((t) => t.staged).length;
      if (opts.explain !== true) ctx.output.info(`${staged} of ${result.tags.length} ImageStream tags staged`);
    });

  k8s
    .command('mirror-config')
    .description('Write ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet and registries.conf for the images of a sync or mirror report')
    .requiredOption('--report <REPORT>', 'the JSON written by ferry sync --report or ferry mirror')
    .option('--out <DIR>', 'directory to write the files to', 'cluster-resources')
    .option('--name <NAME>', 'metadata.name of the mirror sets', 'ferry-mirror')
    .option('--digest-only', 'registries.conf: use the mirrors only for pulls by digest')
    .option('--insecure-mirrors', 'registries.conf: the mirrors use plain HTTP or unverified TLS')
    .action(async (opts) => {
      const result = await writeMirrorConfig(opts.report, {
        outDir: opts.out,
        name: opts.name,
        digestOnly: opts.digestOnly,
        insecureMirrors: opts.insecureMirrors,
        signal: ctx.signal,
      });
      ctx.output.info(`${result.mappings.length} repository mapping${result.mappings.length === 1 ? '' : 's'}`);
      ctx.output.out(result.paths.join('\n'));
    });
}
