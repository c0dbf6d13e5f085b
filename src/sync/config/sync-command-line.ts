import { FerryError } from '../../errors.ts';
import { parsePlatform } from '../../oci/platform.ts';
import type { SyncDestinationTransport } from '../../transports/transport-table.ts';
import { SYNC_CONFIG_FORMAT_NAMES, loadSyncConfig } from './config-file.ts';
import { loadSyncInput } from './load.ts';
import { sideOptions, type SkopeoSideFlags } from './skopeo-cli.ts';
import type { PlatformFilter, RegistryOptions, SyncSpec } from './sync-spec.ts';

/** image-syncer retries failed images this many times after the first pass unless `--retries` says otherwise. */
export const IMAGE_SYNCER_RETRY_PASSES = 2;

/**
 * What a `ferry sync` command line says about its input, in the words of the
 * tools it speaks for: skopeo sync (`--src`/`--dest` SOURCE DESTINATION),
 * image-syncer (`--images`/`--auth`, `--config`, `--registry`/`--namespace`,
 * `--os`/`--arch`), `oc image mirror` (`--mapping`) and ferry (`--config`).
 */
export interface SyncCommandLine {
  source?: string | undefined;
  destination?: string | undefined;
  src?: 'docker' | 'yaml' | 'oci' | 'docker-daemon' | 'containers-storage' | undefined;
  /** The Docker daemon of a `docker-daemon` source (`--src-daemon-host`). */
  daemonHost?: string | undefined;
  dest?: SyncDestinationTransport | undefined;
  images?: string | undefined;
  auth?: string | undefined;
  mapping?: string | undefined;
  config?: string | undefined;
  scoped?: boolean | undefined;
  appendSuffix?: string | undefined;
  all?: boolean | undefined;
  platform?: readonly string[] | undefined;
  os?: readonly string[] | undefined;
  arch?: readonly string[] | undefined;
  /** image-syncer's default registry and namespace (flags; the environment fills in what they leave out). */
  registry?: string | undefined;
  namespace?: string | undefined;
  authfile?: string | undefined;
  srcAccess?: SkopeoSideFlags | undefined;
  destAccess?: SkopeoSideFlags | undefined;
}

/** A command line turned into a spec, with how it is to be run. */
export interface SyncCommandInput {
  spec: SyncSpec;
  /** What was read, for the user: "ferry sync YAML", "image-syncer config (auth + images)", … */
  read: string;
  /** Per-side command-line settings that override every rule (file inputs); skopeo-style inputs carry them in the spec. */
  sourceOverrides?: RegistryOptions | undefined;
  destinationOverrides?: RegistryOptions | undefined;
  /** image-syncer's failure semantics: every rule runs, failures are retried in passes at the end. */
  imageSyncer: boolean;
}

function usage(message: string, hint?: string): FerryError {
  return new FerryError('USAGE', message, { hint });
}

/** `--all`, `--platform` or image-syncer's `--os`/`--arch` (comma lists, repeatable) as a platform filter. */
function platformFilter(cl: SyncCommandLine): PlatformFilter | undefined {
  const list = (values: readonly string[] | undefined) => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  const os = list(cl.os);
  const architectures = list(cl.arch);
  const given = [cl.all === true, (cl.platform?.length ?? 0) > 0, os.length + architectures.length > 0].filter(Boolean).length;
  if (given > 1) throw usage('--all, --platform and --os/--arch are mutually exclusive');
  if (cl.all) return { kind: 'all' };
  if (cl.platform && cl.platform.length > 0) return { kind: 'list', platforms: cl.platform.map(parsePlatform) };
  if (os.length + architectures.length > 0) return { kind: 'os-arch', os, architectures };
  return undefined;
}

/** image-syncer's default registry and namespace: the flags, else DEFAULT_REGISTRY / DEFAULT_NAMESPACE; both or neither. */
function imageSyncerDefaults(cl: SyncCommandLine, env: NodeJS.ProcessEnv): { registry: string; namespace: string } | undefined {
  const registry = cl.registry ?? env['DEFAULT_REGISTRY'];
  const namespace = cl.namespace ?? env['DEFAULT_NAMESPACE'];
  if (!registry || !namespace) return undefined;
  return { registry: registry.replace(/\/+$/, ''), namespace: namespace.replace(/^\/+|\/+$/g, '') };
}

/**
 * Reads the input a `ferry sync` command line names into a spec. Exactly one
 * form: `--src` (with `--dest`, SOURCE and DESTINATION), `--images`,
 * `--mapping` or `--config`.
 *
 * @throws FerryError `USAGE` for a malformed or contradictory command line;
 * the input readers' `INVALID_CONFIG` and `IO`.
 */
export async function loadSyncCommandLine(cl: SyncCommandLine, options: { env?: NodeJS.ProcessEnv | undefined; signal?: AbortSignal | undefined } = {}): Promise<SyncCommandInput> {
  const env = options.env ?? process.env;
  const load = { env, signal: options.signal };
  const forms = (['src', 'images', 'mapping', 'config'] as const).filter((k) => cl[k] !== undefined);
  if (forms.length !== 1) {
    throw usage(forms.length === 0 ? 'say what to sync: --src/--dest with SOURCE DESTINATION, --images, --mapping or --config' : `--${forms.join(', --')} cannot be combined`);
  }
  if (cl.auth !== undefined && cl.images === undefined && cl.config === undefined) throw usage('--auth goes with --images (or an image-syncer --config)');
  const platforms = platformFilter(cl);
  if (cl.src !== undefined) {
    if (cl.source === undefined || cl.destination === undefined || cl.dest === undefined) {
      throw usage('--src needs --dest, SOURCE and DESTINATION', 'e.g. ferry sync --src docker --dest docker quay.io/ns/app registry.example/mirror');
    }
    if (platforms?.kind === 'list' || platforms?.kind === 'os-arch') throw usage('--platform and --os/--arch go with --images, --mapping and --config', 'skopeo-style sync copies the system platform, or every one with --all');
    const flags = { scoped: cl.scoped, appendSuffix: cl.appendSuffix, all: cl.all, authfile: cl.authfile, src: cl.srcAccess, dest: cl.destAccess };
    const dest = { transport: cl.dest, destination: cl.destination };
    const spec = await loadSyncInput(
      cl.src === 'yaml'
        ? { kind: 'skopeo-yaml', path: cl.source, dest, flags }
        : cl.src === 'oci'
          ? { kind: 'oci', path: cl.source, dest, flags }
          : cl.src === 'docker-daemon' || cl.src === 'containers-storage'
            ? { kind: 'engine', transport: cl.src, source: cl.source, daemonHost: cl.daemonHost, dest, flags }
            : { kind: 'docker', source: cl.source, dest, flags },
      load,
    );
    return { spec, read: cl.src === 'yaml' ? `skopeo sync YAML ${cl.source}` : `skopeo-style ${cl.src} source`, imageSyncer: false };
  }
  if (cl.source !== undefined) throw usage(`unexpected argument "${cl.source}": --images, --mapping and --config take no SOURCE/DESTINATION`);
  const overrides = { sourceOverrides: sideOptions(cl.srcAccess, 'src', cl.authfile), destinationOverrides: sideOptions(cl.destAccess, 'dest', cl.authfile) };
  const defaults = imageSyncerDefaults(cl, env);
  if (cl.images !== undefined) {
    const spec = await loadSyncInput({ kind: 'images', path: cl.images, authPath: cl.auth, platforms, defaults }, load);
    return { spec, read: `image-syncer images file ${cl.images}${cl.auth !== undefined ? ` and auth file ${cl.auth}` : ''}`, ...overrides, imageSyncer: true };
  }
  if (cl.mapping !== undefined) {
    const spec = await loadSyncInput({ kind: 'mapping', path: cl.mapping, platforms }, load);
    return { spec, read: `oc image mirror mapping ${cl.mapping}`, ...overrides, imageSyncer: false };
  }
  const { spec, format } = await loadSyncConfig(cl.config!, { ...load, authPath: cl.auth, platforms, defaults });
  if (format === 'ferry' && platforms !== undefined) throw usage('--platform and --os/--arch go with image-syncer and mapping files', 'a ferry sync YAML chooses platforms per rule (platforms:)');
  return { spec, read: `${SYNC_CONFIG_FORMAT_NAMES[format]} ${cl.config!}`, ...overrides, imageSyncer: format === 'image-syncer' };
}
