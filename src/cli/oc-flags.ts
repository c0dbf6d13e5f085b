import { Option, type Command } from 'commander';
import type { RegistryOptions } from '../sync/config/sync-spec.ts';
import { addAccessFlags, parsePositiveInt, skopeoSideFlags } from './registry-flags.ts';

/** Collects a repeatable option's values (`-f A -f B`). */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The registry flags of oc's mirroring commands (`oc image mirror`, `oc adm
 * release mirror`): `--insecure` (plain HTTP or unverified TLS, both sides),
 * `-a/--registry-config` (the auth file), `--max-per-registry`, with ferry's
 * usual per-side access flags and run flags beside them.
 */
export function addOcRegistryFlags(command: Command): Command {
  command
    .option('--insecure', 'allow plain HTTP and unverified TLS to the registries (oc\'s flag; both sides)')
    .option('-a, --registry-config <FILE>', 'the auth file with registry credentials (oc\'s flag; as --authfile)')
    .option('--authfile <FILE>', 'the auth file with registry credentials')
    .addOption(new Option('--max-per-registry <N>', 'requests in flight per registry (oc\'s default 6)').argParser(parsePositiveInt('--max-per-registry', 1)))
    .addOption(new Option('--jobs <N>', 'images copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .option('--keep-going', 'continue past failed images; exit 1 at the end with the list')
    .addOption(new Option('--retry-times <N>', 'retries on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .option('--report <FILE>', 'write a JSON report: every image with its status, digest and bytes, and totals');
  addAccessFlags(command, 'src');
  addAccessFlags(command, 'dest');
  return command;
}

/** The engine settings those flags make: overrides for each side, and the run flags. */
export async function ocRunSettings(opts: Record<string, unknown>): Promise<{
  sourceOverrides: RegistryOptions | undefined;
  destinationOverrides: RegistryOptions | undefined;
  jobs: number | undefined;
  keepGoing: boolean;
  retryTimes: number | undefined;
}> {
  const { sideOptions } = await import('../sync/config/skopeo-cli.ts');
  const authfile = (opts['registryConfig'] ?? opts['authfile']) as string | undefined;
  const maxPerRegistry = opts['maxPerRegistry'] as number | undefined;
  const side = (p: 'src' | 'dest'): RegistryOptions | undefined => {
    const out: RegistryOptions = { ...sideOptions(skopeoSideFlags(opts, p), p, authfile) };
    if (opts['insecure'] === true) out.tlsVerify = false;
    if (maxPerRegistry !== undefined) out.maxConcurrency = maxPerRegistry;
    return Object.keys(out).length === 0 ? undefined : out;
  };
  return {
    sourceOverrides: side('src'),
    destinationOverrides: side('dest'),
    jobs: opts['jobs'] as number | undefined,
    keepGoing: opts['keepGoing'] === true,
    retryTimes: opts['retryTimes'] as number | undefined,
  };
}
