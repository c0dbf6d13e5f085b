import { FerryError } from '../../../errors.ts';
import { fetchRegistryObjects } from '../../../k8s/cluster-registry-objects.ts';
import { readKubeconfig } from '../../../k8s/kubeconfig.ts';
import { formatRegistryInfo, registryInfoFromExport, registryInfoFromObjects, type RegistryInfo } from '../../../k8s/registry-info.ts';
import type { CommandContext } from '../../context.ts';
import { EXIT } from '../../output.ts';
import { collect } from '../../typed-options.ts';
import { reportFileErrors, type K8sCommand } from './k8s-group.ts';

/** `ferry k8s registry-info`: the cluster registry's host names, from an export or a live cluster. */
export function addK8sRegistryInfoCommand(k8s: K8sCommand, ctx: CommandContext): void {
  k8s
    .command('registry-info')
    .description("Print the internal and public host names of an OpenShift cluster's image registry (crane's oc-registry-info)")
    .option('--export-dir <DIR>', 'read exported resources (repeatable) instead of a live cluster', collect, [])
    .option('--kubeconfig <FILE>', 'the live cluster to ask (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <NAME>', 'kubeconfig context (default: the current one)')
    .option('--internal', 'print only the internal host')
    .option('--public', 'print only the public host')
    .option('--json', 'print JSON')
    .action(async (opts) => {
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
}
