import { stringify } from 'yaml';
import { FerryError, throwIfAborted } from '../errors.ts';
import { parseReference } from '../ref/reference.ts';
import { classifyImageStreamTags, type ClassifyOptions, type TagClassification } from './image-stream-classes.ts';
import { listResourceFiles, loadResourceFile, type ResourceFile, type ResourceFileError } from './resource-files.ts';
import { alignColumns } from './scan-format.ts';

export interface SyncYamlOptions {
  /** The source registry as reachable from where the sync runs (its public route), HOST[:PORT][/PATH]. */
  registryUrl: string;
  /** `false` writes `tls-verify: false` for the registry (self-signed routes, plain-HTTP test registries). */
  tlsVerify?: boolean | undefined;
}

export interface SyncGenOptions extends ClassifyOptions, SyncYamlOptions {
  /** The export directory (or directories / files). */
  exportDir: string | readonly string[];
  signal?: AbortSignal | undefined;
}

export interface SyncGenResult {
  /** skopeo-compatible sync YAML (`skopeo sync --src yaml`). */
  yaml: string;
  /** Every ImageStream tag and the decision about it. */
  tags: TagClassification[];
  /** Files that could not be parsed (the rest were used). */
  errors: ResourceFileError[];
}

/**
 * Checks a `--registry-url`: a registry host with optional port and path
 * prefix, without a scheme (skopeo's YAML keys are not URLs).
 *
 * @throws FerryError `USAGE` naming what is wrong.
 */
export function checkRegistryUrl(registryUrl: string): string {
  const hint = 'give the source registry\'s public host, e.g. --registry-url default-route-openshift-image-registry.apps.example.com';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(registryUrl)) {
    throw new FerryError('USAGE', `--registry-url "${registryUrl}" must not have a scheme`, { hint });
  }
  const trimmed = registryUrl.replace(/\/+$/, '');
  try {
    const ref = parseReference(`${trimmed}/probe`);
    // parseReference falls back to docker.io for a bare word: that is not what the user named.
    if (!`${trimmed}/`.toLowerCase().startsWith(`${ref.registry.toLowerCase()}/`)) throw new Error('not a host');
  } catch (cause) {
    throw new FerryError('USAGE', `--registry-url "${registryUrl}" is not a registry host[:port][/path]`, { hint, cause });
  }
  return trimmed;
}

/**
 * The skopeo sync YAML for the staged tags: one registry key
 * (`registryUrl`) with `images: {"<ns>/<stream>": [tags…]}` listing exactly
 * the qualifying tags of each stream, sorted. With nothing staged the
 * registry still appears with an empty `images` map.
 */
export function syncYaml(tags: readonly TagClassification[], options: SyncYamlOptions): string {
  const registry = checkRegistryUrl(options.registryUrl);
  const images = new Map<string, string[]>();
  for (const tag of tags) {
    if (!tag.staged) continue;
    const repo = `${tag.namespace}/${tag.stream}`;
    const list = images.get(repo) ?? [];
    if (!list.includes(tag.tag)) list.push(tag.tag);
    images.set(repo, list);
  }
  const sorted: Record<string, string[]> = {};
  for (const repo of [...images.keys()].sort()) sorted[repo] = images.get(repo)!;
  const entry: Record<string, unknown> = { images: sorted };
  if (options.tlsVerify === false) entry['tls-verify'] = false;
  // yaml quotes tags such as 1.0 that would otherwise read back as numbers.
  return stringify({ [registry]: entry });
}

/**
 * Reads an export directory, classifies every ImageStream tag and returns the
 * sync YAML for the tags that must be copied (internally and externally built
 * images outside namespace `openshift`).
 *
 * @throws FerryError `IO` when the export directory cannot be read, `USAGE` for a bad registry URL.
 */
export async function syncGen(options: SyncGenOptions): Promise<SyncGenResult> {
  checkRegistryUrl(options.registryUrl);
  const paths = typeof options.exportDir === 'string' ? [options.exportDir] : options.exportDir;
  const files = await listResourceFiles(paths, options);
  const resources: ResourceFile[] = [];
  const errors: ResourceFileError[] = [];
  for (const file of files) {
    throwIfAborted(options.signal);
    const resource = await loadResourceFile(file, options);
    errors.push(...resource.errors);
    resources.push(resource);
  }
  const tags = classifyImageStreamTags(resources, options);
  return { yaml: syncYaml(tags, options), tags, errors };
}

/** `--explain`: one row per ImageStream tag with its class, the action, and why. */
export function formatExplain(tags: readonly TagClassification[]): string {
  if (tags.length === 0) return 'no ImageStream tags found\n';
  const rows = tags.map((t) => [
    `${t.namespace === '' ? '?' : t.namespace}/${t.stream}:${t.tag}`,
    t.class,
    t.staged ? 'stage' : 'skip',
    t.reason,
  ]);
  return alignColumns([['TAG', 'CLASS', 'ACTION', 'REASON'], ...rows]);
}
