import { isMap, parseDocument } from 'yaml';
import { FerryError } from '../errors.ts';
import { loadSyncInput, readConfig } from '../sync/config/load.ts';
import { FERRY_KEYS, topLevelKeys } from '../sync/config/config-file.ts';
import { splitRegistryPath } from '../sync/config/registry-options.ts';
import type { SkopeoSideFlags } from '../sync/config/skopeo-cli.ts';
import type { Destination, FlattenLevel, RegistryOptions, SyncSpec } from '../sync/config/sync-spec.ts';

/** Which sync input a `ferry mirror --config` file is. */
export type MirrorConfigFormat = 'skopeo' | 'ferry';

/** Stands in for the `to:` ferry YAML requires: `ferry mirror` chooses the destination itself. */
const PLACEHOLDER_TO = 'oci:ferry-mirror-destination';

/**
 * Tells ferry YAML (top-level `sync:`, `registries:`, `defaults:` or
 * `version:`) from skopeo's sync YAML (registry hosts as keys), by content.
 */
export function detectMirrorConfigFormat(text: string): MirrorConfigFormat {
  return topLevelKeys(text).keys.some((k) => FERRY_KEYS.has(k)) ? 'ferry' : 'skopeo';
}

/**
 * Ferry YAML whose rules may lack `to:` (ferry mirror ignores it): a
 * `defaults.to` placeholder is added where none is set, appended at the end
 * of block-style files so error line numbers stay those of the user's file.
 */
function withPlaceholderTo(text: string): string {
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) return text;
  if (doc.hasIn(['defaults', 'to'])) return text;
  if (!doc.has('defaults') && !text.trimStart().startsWith('{')) return `${text.endsWith('\n') ? text : `${text}\n`}defaults:\n  to: ${PLACEHOLDER_TO}\n`;
  doc.setIn(['defaults', 'to'], PLACEHOLDER_TO);
  return doc.toString();
}

export interface LoadMirrorConfigOptions {
  /** skopeo's `--src-*` flags, for skopeo YAML (whose per-registry settings win over them, as in skopeo). */
  src?: SkopeoSideFlags | undefined;
  authfile?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Reads a `ferry mirror --config` file (skopeo sync YAML or ferry YAML) into
 * a sync spec whose destinations are still to be chosen (see
 * {@link withDestination}). skopeo YAML is read with `--all`: a mirror
 * keeps every platform, so digests stay the source's.
 */
export async function loadMirrorConfig(path: string, options: LoadMirrorConfigOptions = {}): Promise<{ spec: SyncSpec; format: MirrorConfigFormat }> {
  const text = await readConfig(path, 'mirror config', options.signal);
  const format = detectMirrorConfigFormat(text);
  if (format === 'ferry') {
    const spec = await loadSyncInput({ kind: 'ferry', path, text: withPlaceholderTo(text) }, { signal: options.signal });
    return { spec, format };
  }
  const spec = await loadSyncInput(
    { kind: 'skopeo-yaml', path, text, dest: { transport: 'oci', destination: PLACEHOLDER_TO.slice(4) }, flags: { all: true, src: options.src, authfile: options.authfile } },
    { signal: options.signal },
  );
  return { spec, format };
}

/** Where `ferry mirror` writes: one destination for every rule (what a config's `to:` said is replaced). */
export type MirrorTarget =
  | { kind: 'store'; layout: string }
  | { kind: 'registry'; registry: string; prefix: string; flatten?: FlattenLevel | undefined; options?: RegistryOptions | undefined };

/**
 * The spec with every rule sent to `target`, named by the source repository
 * path (the source registry dropped, as oc-mirror does): `repo:tag` in a
 * store, `REGISTRY/PREFIX/repo:tag` (flattened by `flatten`) in a registry.
 * Suffixes are dropped: a mirror keeps the source tags, which the cluster's
 * tag mirror set relies on.
 */
export function withDestination(spec: SyncSpec, target: MirrorTarget): SyncSpec {
  return {
    ...spec,
    sources: spec.sources.map((rule) => {
      const destination: Destination =
        target.kind === 'store'
          ? { location: { transport: 'oci', root: target.layout }, path: '', naming: { mode: 'flatten', level: 0 }, origin: rule.origin }
          : {
              location: { transport: 'docker', root: target.registry },
              path: target.prefix,
              naming: { mode: 'flatten', level: target.flatten ?? 0 },
              ...(target.options ? { options: target.options } : {}),
              origin: rule.origin,
            };
      return { ...rule, destinations: [destination] };
    }),
  };
}

/**
 * `--to docker://HOST[/PREFIX]` → the mirror registry and the prefix images go under.
 * @throws FerryError `USAGE` for anything else (with a hint for `--to-dir`).
 */
export function parseMirrorRegistry(text: string): { registry: string; prefix: string } {
  if (!text.startsWith('docker://')) throw new FerryError('USAGE', `--to "${text}": expected docker://HOST[/PREFIX]`, { hint: 'to write to a directory, use --to-dir DIR' });
  const split = splitRegistryPath(text.slice('docker://'.length).replace(/\/+$/, ''));
  if ('problem' in split) throw new FerryError('USAGE', `--to "${text}": ${split.problem}`, { hint: 'expected docker://HOST[/PREFIX], e.g. docker://mirror.internal:5000/mirror' });
  return { registry: split.registry, prefix: split.path };
}
