import { Option, type Command } from '@commander-js/extra-typings';
import type { RegistryOptions } from '../sync/config/sync-spec.ts';
import { addAccessFlags, parsePositiveInt, sideFlags, type AccessFlags } from './registry-flags.ts';
import { flagGroup, type NoOptions } from './typed-options.ts';

/** oc's run and registry flags, on a bare command: their option type is inferred from here. */
const ocFlagsOn = (command: Command<[], NoOptions, NoOptions>) =>
  command
    .option('--insecure', "allow plain HTTP and unverified TLS to the registries (oc's flag; both sides)")
    .option('-a, --registry-config <FILE>', "the auth file with registry credentials (oc's flag; as --authfile)")
    .option('--authfile <FILE>', 'the auth file with registry credentials')
    .addOption(new Option('--max-per-registry <N>', "requests in flight per registry (oc's default 6)").argParser(parsePositiveInt('--max-per-registry', 1)))
    .addOption(new Option('--jobs <N>', 'images copied in parallel').argParser(parsePositiveInt('--jobs', 1)))
    .option('--keep-going', 'continue past failed images; exit 1 at the end with the list')
    .addOption(new Option('--retry-times <N>', 'retries of a request on network errors, 5xx and 429').argParser(parsePositiveInt('--retry-times')))
    .option('--report <FILE>', 'write a JSON report whenever the run ends: every image with its status, digest and bytes, and totals');

/** The oc registry flags' values: oc's own, spelt out (see {@link flagGroup}), and both sides' access flags. */
export type OcRegistryFlags = {
  insecure?: true;
  registryConfig?: string;
  authfile?: string;
  maxPerRegistry?: number;
  jobs?: number;
  keepGoing?: true;
  retryTimes?: number;
  report?: string;
} & AccessFlags<'src-'> & AccessFlags<'dest-'>;

/**
 * The registry flags of oc's mirroring commands (`oc image mirror`, `oc adm
 * release mirror`): `--insecure` (plain HTTP or unverified TLS, both sides),
 * `-a/--registry-config` (the auth file), `--max-per-registry`, with ferry's
 * usual per-side access flags and run flags beside them.
 */
export const addOcRegistryFlags = flagGroup<OcRegistryFlags>()((command: Command<[], NoOptions, NoOptions>) => addAccessFlags(addAccessFlags(ocFlagsOn(command), 'src-'), 'dest-'), true);

/** The engine settings those flags make: overrides for each side (secrets from files and the environment too), and the run flags. */
export async function ocRunSettings(opts: OcRegistryFlags, signal?: AbortSignal): Promise<{
  sourceOverrides: RegistryOptions | undefined;
  destinationOverrides: RegistryOptions | undefined;
  jobs: number | undefined;
  keepGoing: boolean;
  retryTimes: number | undefined;
}> {
  const { sideOptions } = await import('../sync/config/skopeo-cli.ts');
  const authfile = opts.registryConfig ?? opts.authfile;
  const side = async (p: 'src' | 'dest'): Promise<RegistryOptions | undefined> => {
    const out: RegistryOptions = { ...sideOptions(await sideFlags(opts, `${p}-`, { signal }), p, authfile) };
    if (opts.insecure === true) out.tlsVerify = false;
    if (opts.maxPerRegistry !== undefined) out.maxConcurrency = opts.maxPerRegistry;
    return Object.keys(out).length === 0 ? undefined : out;
  };
  return {
    sourceOverrides: await side('src'),
    destinationOverrides: await side('dest'),
    jobs: opts.jobs,
    keepGoing: opts.keepGoing === true,
    retryTimes: opts.retryTimes,
  };
}
