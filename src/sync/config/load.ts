import { throwIfAborted } from '../../errors.ts';
import { readSmallFile } from '../../util/regular-file.ts';
import type { Environment } from './env-expand.ts';
import { parseFerryYaml } from './ferry-yaml.ts';
import { parseImageSyncer } from './image-syncer.ts';
import { parseOcMapping } from './oc-mapping.ts';
import { skopeoDockerSource, skopeoEngineSource, skopeoLayoutSource, type SkopeoSyncFlags, type SkopeoTarget } from './skopeo-cli.ts';
import { parseSkopeoYaml } from './skopeo-yaml.ts';
import type { PlatformFilter, SyncSpec } from './sync-spec.ts';

/**
 * One `ferry sync` input, as the CLI gathered it. File inputs may carry
 * `text` (e.g. read from stdin) instead of being read from `path`; `path`
 * then only names them in messages.
 */
export type SyncInput =
  /** `--src yaml FILE DEST`: skopeo's sync YAML. */
  | { kind: 'skopeo-yaml'; path: string; text?: string | undefined; dest: SkopeoTarget; flags?: SkopeoSyncFlags | undefined }
  /** `--src docker SOURCE DEST`: a repository (all tags) or one image. */
  | { kind: 'docker'; source: string; dest: SkopeoTarget; flags?: SkopeoSyncFlags | undefined }
  /** `--src docker-daemon|containers-storage SOURCE DEST`: a repository (all tags) or one image of a local engine. */
  | { kind: 'engine'; transport: 'docker-daemon' | 'containers-storage'; source: string; daemonHost?: string | undefined; dest: SkopeoTarget; flags?: SkopeoSyncFlags | undefined }
  /** `--src oci PATH DEST`: every image of an OCI layout. */
  | { kind: 'oci'; path: string; dest: SkopeoTarget; flags?: SkopeoSyncFlags | undefined }
  /** `--images FILE [--auth FILE]`: image-syncer's files (JSON or YAML). */
  | {
      kind: 'images';
      path: string;
      text?: string | undefined;
      authPath?: string | undefined;
      authText?: string | undefined;
      platforms?: PlatformFilter | undefined;
      /** image-syncer's default registry and namespace, for empty destinations. */
      defaults?: { registry: string; namespace: string } | undefined;
    }
  /** `--mapping FILE`: an `oc image mirror` mapping file (`file://` names under `fromDir`/`dir`, as `oc image mirror --from-dir/--dir`). */
  | { kind: 'mapping'; path: string; text?: string | undefined; platforms?: PlatformFilter | undefined; fromDir?: string | undefined; dir?: string | undefined }
  /** `--config FILE`: ferry's own YAML. */
  | { kind: 'ferry'; path: string; text?: string | undefined };

export interface LoadSyncInputOptions {
  /** Variables for `${VAR}` in credentials and destinations; default process.env. */
  env?: Environment | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Config files are hand-written or generated lists: 8 MiB holds some 100,000
 * image lines. The YAML tree takes ~30 times the text in memory, so anything
 * larger is a mistake (or an attack) that would cost gigabytes before an error.
 */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

/**
 * Reads and validates one input into a {@link SyncSpec}. JSON and YAML are
 * told apart by content (JSON is read as YAML 1.2, its superset), never by
 * file name. Nothing touches the network.
 *
 * @throws FerryError `INVALID_CONFIG` ("file:line: …") for a malformed file,
 * `USAGE` for malformed arguments, `IO` when a file cannot be read.
 */
export async function loadSyncInput(input: SyncInput, options: LoadSyncInputOptions = {}): Promise<SyncSpec> {
  const env = options.env ?? process.env;
  const { signal } = options;
  throwIfAborted(signal);
  switch (input.kind) {
    case 'skopeo-yaml':
      return parseSkopeoYaml(input.text ?? (await readConfig(input.path, 'sync YAML', signal)), input.path, input.dest, input.flags);
    case 'docker':
      return skopeoDockerSource(input.source, input.dest, input.flags);
    case 'oci':
      return skopeoLayoutSource(input.path, input.dest, input.flags);
    case 'engine':
      return skopeoEngineSource(input.transport, input.source, input.dest, input.flags, input.daemonHost);
    case 'images': {
      const text = input.text ?? (await readConfig(input.path, 'images file', signal));
      const authText =
        input.authPath === undefined ? undefined : (input.authText ?? (await readConfig(input.authPath, 'auth file', signal)));
      const auth = input.authPath === undefined || authText === undefined ? undefined : { text: authText, file: input.authPath };
      return parseImageSyncer({ text, file: input.path }, auth, { env, platforms: input.platforms, defaults: input.defaults });
    }
    case 'mapping':
      return parseOcMapping(input.text ?? (await readConfig(input.path, 'mapping file', signal)), input.path, { platforms: input.platforms, fromDir: input.fromDir, dir: input.dir });
    case 'ferry':
      return parseFerryYaml(input.text ?? (await readConfig(input.path, 'config file', signal)), input.path, { env });
  }
}

/** Several inputs as one spec: rules and registries in order, the first input's defaults winning. */
export function mergeSyncSpecs(specs: readonly SyncSpec[]): SyncSpec {
  const out: SyncSpec = { sources: [], registries: [], defaults: {}, warnings: [] };
  for (const spec of specs) {
    out.sources.push(...spec.sources);
    out.registries.push(...spec.registries);
    out.warnings.push(...spec.warnings);
    out.defaults = { ...spec.defaults, ...out.defaults };
  }
  return out;
}

/**
 * Reads a config file given by path as text (see util/regular-file.ts: a
 * regular file only, at most {@link MAX_CONFIG_BYTES}); `what` names it in errors.
 */
export async function readConfig(path: string, what: string, signal: AbortSignal | undefined): Promise<string> {
  return (await readSmallFile(path, { what, maxBytes: MAX_CONFIG_BYTES, missingCode: 'IO', signal })).toString('utf8');
}
