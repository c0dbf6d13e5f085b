import { Option, type Command } from 'commander';
import { FerryError } from '../../errors.ts';
import { digestPins } from '../../k8s/digest-pins.ts';
import { writeMirrorConfig } from '../../k8s/report-mirror-config.ts';
import { parseReplaceRule } from '../../k8s/replace-rules.ts';
import { formatRewriteDiff, formatRewriteSummary, rewriteResources, type RewriteOutput } from '../../k8s/rewrite-files.ts';
import { fetchRegistryObjects } from '../../k8s/cluster-registry-objects.ts';
import { readKubeconfig } from '../../k8s/kubeconfig.ts';
import { formatRegistryInfo, registryInfoFromExport, registryInfoFromObjects, type RegistryInfo } from '../../k8s/registry-info.ts';
import { formatScanJson, formatScanTable } from '../../k8s/scan-format.ts';
import { scanResources } from '../../k8s/scan.ts';
import { formatExplain, syncGen } from '../../k8s/sync-gen.ts';
import { readSyncReport } from '../../k8s/sync-report.ts';
import type { ResourceFileError } from '../../k8s/resource-files.ts';
import { EXIT } from '../output.ts';
import type { CommandContext } from '../context.ts';
import { parseBool } from '../registry-flags.ts';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `ferry k8s scan | sync-gen | rewrite | registry-info | mirror-config`: Kubernetes and OpenShift migration. */
export function k8sCommand(program: Command, ctx: CommandContext): void {
  const k8s = program.command('k8s').description('Kubernetes/OpenShift migration: find, stage and rewrite the images of exported resources');

  k8s
    .command('scan')
    .description('List every image reference in exported resources (YAML/JSON files or directories)')
    .argument('<path...>', 'files or directories (crane export output, kubectl get -o yaml, …)')
    .option('--json', 'print JSON instead of a table')
    .action(async (paths: string[], opts: { json?: boolean }) => {
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
    .action(async (opts: { exportDir: string; registryUrl: string; internalRegistry: string[]; tlsVerify?: boolean; explain?: boolean }) => {
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
    .command('rewrite')
    .description('Rewrite image references in exported resources, keeping comments and formatting')
    .argument('<path...>', 'files or directories')
    .option('--replace <FROM=TO>', 'replace a registry or repository prefix (repeatable; longest FROM wins)', collect, [])
    .option('--out <DIR>', 'write the rewritten tree to DIR')
    .option('--in-place', 'rewrite the files where they are')
    .option('--pin-digests <REPORT>', 'replace tags by the digests recorded in a ferry sync --report file')
    .option('--dry-run', 'print a unified diff and change nothing')
    .action(async (paths: string[], opts: { replace: string[]; out?: string; inPlace?: boolean; pinDigests?: string; dryRun?: boolean }) => {
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

  k8s
    .command('registry-info')
    .description("Print the internal and public host names of an OpenShift cluster's image registry (crane's oc-registry-info)")
    .option('--export-dir <DIR>', 'read exported resources (repeatable) instead of a live cluster', collect, [])
    .option('--kubeconfig <FILE>', 'the live cluster to ask (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <NAME>', 'kubeconfig context (default: the current one)')
    .option('--internal', 'print only the internal host')
    .option('--public', 'print only the public host')
    .option('--json', 'print JSON')
    .action(async (opts: { exportDir: string[]; kubeconfig?: string; context?: string; internal?: boolean; public?: boolean; json?: boolean }) => {
      if (opts.exportDir.length > 0 && (opts.kubeconfig !== undefined || opts.context !== undefined)) {
        throw new FerryError('USAGE', '--export-dir and --kubeconfig/--context are mutually exclusive');
      }
      if (opts.internal === true && opts.public === true) throw new FerryError('USAGE', '--internal and --public are mutually exclusive');
      let info: RegistryInfo;
      if (opts.exportDir.length > 0) {
        const result = await registryInfoFromExport(opts.exportDir, { signal: ctx.signal });
        // Unparseable files are reported, but only a missing host fails the command: its output feeds scripts.
        reportFileErrors(ctx, result.errors, false);
        info = result.info;
      } else {
        const connection = await readKubeconfig({ file: opts.kubeconfig, context: opts.context, signal: ctx.signal });
        const fetched = await fetchRegistryObjects(connection, { signal: ctx.signal });
        info = registryInfoFromObjects(fetched.objects);
        info.notes.unshift(...fetched.notes);
      }
      const wanted = opts.internal === true ? (['internal'] as const) : opts.public === true ? (['public'] as const) : (['internal', 'public'] as const);
      if (opts.json === true || ctx.output.mode.json) {
        ctx.output.out(JSON.stringify({ internal: info.internal?.host ?? null, public: info.public?.host ?? null, internalSource: info.internal?.source ?? null, publicHosts: info.publicHosts, notes: info.notes }));
      } else if (opts.internal === true || opts.public === true) {
        const host = info[wanted[0]!]?.host;
        if (host !== undefined) ctx.output.out(host);
      } else {
        const text = formatRegistryInfo(info);
        if (text !== '') ctx.output.out(text.trimEnd());
      }
      if (wanted.some((w) => info[w] === undefined)) {
        for (const note of info.notes) ctx.output.warn(note);
        ctx.setExitCode(EXIT.failure);
      }
    });

  k8s
    .command('mirror-config')
    .description('Write ImageContentSourcePolicy, ImageDigestMirrorSet, ImageTagMirrorSet and registries.conf for the images of a sync or mirror report')
    .requiredOption('--report <REPORT>', 'the JSON written by ferry sync --report or ferry mirror')
    .option('--out <DIR>', 'directory to write the files to', 'cluster-resources')
    .option('--name <NAME>', 'metadata.name of the mirror sets', 'ferry-mirror')
    .option('--digest-only', 'registries.conf: use the mirrors only for pulls by digest')
    .option('--insecure-mirrors', 'registries.conf: the mirrors use plain HTTP or unverified TLS')
    .action(async (opts: { report: string; out: string; name: string; digestOnly?: boolean; insecureMirrors?: boolean }) => {
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

function reportFileErrors(ctx: CommandContext, errors: readonly ResourceFileError[], fail = true): void {
  for (const error of errors) {
    ctx.output.warn(`${error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file}: ${error.message} (that document is skipped)`);
  }
  if (fail && errors.length > 0) ctx.setExitCode(EXIT.failure);
}
