import { Option } from '@commander-js/extra-typings';
import { copy } from '../../api/copy.ts';
import { FerryError } from '../../errors.ts';
import { parseTransportRef } from '../../ref/transport-ref.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import type { CommandModule } from '../context.ts';
import { ProgressRenderer, formatBytes } from '../progress.ts';
import { accessOptionsFrom, addAccessFlags, addDaemonHostFlag, parsePositiveInt } from '../registry-flags.ts';
import { addSigningFlags, signatureOptionsFrom } from '../signature-flags.ts';
import { collect } from '../typed-options.ts';

export const copyCommand: CommandModule = (program, ctx) => {
  const cmd = program
    .command('copy')
    .description('Copy an image from SOURCE to DESTINATION (transports: docker://, oci:, dir:, docker-archive:, oci-archive:, docker-daemon:, containers-storage:)')
    .argument('<source>', 'e.g. docker://registry.example/app:1.0')
    .argument('<destination>', 'e.g. oci:/srv/mirror:app:1.0')
    .option('-a, --all', 'copy every instance of a multi-platform image')
    .addOption(new Option('--platform <os/arch[/variant]>', 'copy this platform of a multi-platform image (repeatable)').argParser(collect))
    .option('--preserve-digests', 'fail rather than change any digest')
    .addOption(new Option('--jobs <N>', 'blobs copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .option('--digestfile <FILE>', 'write the digest of the copied manifest to FILE')
    .option('--authfile <FILE>', 'auth file to read credentials from (default: containers and Docker locations)')
    .option('-q, --quiet', 'print nothing but errors');
  const flagged = addDaemonHostFlag(addDaemonHostFlag(addAccessFlags(addAccessFlags(cmd, 'src-'), 'dest-'), 'src-'), 'dest-');
  addSigningFlags(flagged).action(async (source, destination, opts, command) => {
    if (opts.all && opts.platform) throw new FerryError('USAGE', '--all and --platform are mutually exclusive');
    const common = { authFile: opts.authfile, retryTimes: opts.retryTimes, signal: ctx.signal };
    const progress = new ProgressRenderer(ctx.output);
    try {
      const result = await copy(source, destination, {
        all: opts.all === true,
        platforms: opts.platform,
        preserveDigests: opts.preserveDigests === true,
        jobs: opts.jobs,
        retryTimes: opts.retryTimes,
        src: await accessOptionsFrom(opts, 'src-', { ...common, daemonHost: opts.srcDaemonHost }),
        dest: await accessOptionsFrom(opts, 'dest-', { ...common, daemonHost: opts.destDaemonHost }),
        signatures: signatureOptionsFrom(command.optsWithGlobals()),
        signal: ctx.signal,
        onEvent: progress.listener,
      });
      progress.stop();
      if (opts.digestfile !== undefined) await writeFileAtomic(opts.digestfile, result.digest, { signal: ctx.signal });
      if (ctx.output.mode.json) ctx.output.record({ result });
      else {
        const b = result.blobs;
        // A registry receives uploads (and can mount); a directory, layout or archive is written to.
        const toRegistry = parseTransportRef(destination).transport === 'docker';
        const moved = `${b.uploaded} ${b.uploaded === 1 ? 'blob' : 'blobs'} ${toRegistry ? 'uploaded' : 'written'} (${formatBytes(result.bytesTransferred)})`;
        const mounted = toRegistry || b.mounted > 0 ? `, ${b.mounted} mounted` : '';
        ctx.output.info(`Copied ${result.source} → ${result.destination} (${result.digest}): ${moved}${mounted}, ${b.exists} already present`);
        if (result.signatures.length > 0) {
          const { describeSignaturesWritten } = await import('../signature-output.ts');
          for (const line of describeSignaturesWritten(result.signatures)) ctx.output.info(line);
        }
      }
    } finally {
      progress.stop();
    }
  });
};
