import { FerryError } from '../errors.ts';
import { loadSyncInput, mergeSyncSpecs } from '../sync/config/load.ts';
import { parseOcArguments } from '../sync/config/oc-mapping.ts';
import type { PlatformFilter, SyncSpec } from '../sync/config/sync-spec.ts';
import { translateGoRegex } from '../sync/select/go-regex.ts';

/**
 * `ferry image mirror`: the arguments of `oc image mirror`, read into one
 * sync plan. Mappings come from the command line (`SRC DST…` or
 * `SRC=DST…`) and from `-f` files (the same lines); `file://REPOSITORY`
 * names oc's disk format under `--from-dir` (sources, default `--dir`) or
 * `--dir` (destinations, default the working directory), as in oc.
 */

export interface ImageMirrorInput {
  /** SRC DST [DST…], or SRC=DST pairs. */
  args: readonly string[];
  /** `-f/--filename`: mapping files, in order after the arguments. */
  files?: readonly string[] | undefined;
  /** `--dir`: where `file://` destinations are written (default: the working directory, as oc). */
  dir?: string | undefined;
  /** `--from-dir`: where `file://` sources are read (default `--dir`, as oc). */
  fromDir?: string | undefined;
  /** `--filter-by-os`: a Go regular expression over `os/arch[/variant]`; default every platform (the index as is). */
  filterByOs?: string | undefined;
  /** `--keep-manifest-list`: a filter that leaves one platform still writes an index. */
  keepManifestList?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

/** oc writes and reads `file://` images under the working directory unless told otherwise. */
const DEFAULT_DIR = '.';

/** The platform filter of `--filter-by-os` and `--keep-manifest-list`. */
export function imageMirrorPlatforms(filterByOs: string | undefined, keepList: boolean): PlatformFilter {
  if (filterByOs === undefined || filterByOs === '') return { kind: 'all' };
  const regex = translateGoRegex(filterByOs);
  if (typeof regex === 'string') throw new FerryError('USAGE', `--filter-by-os "${filterByOs}" is not a valid regular expression: ${regex}`);
  return { kind: 'matching', regex, keepList };
}

/**
 * The sync spec of an `oc image mirror` command line.
 *
 * @throws FerryError `USAGE` without any mapping or with a bad filter; `INVALID_CONFIG` for a malformed mapping ("file:line: …").
 */
export async function imageMirrorSpec(input: ImageMirrorInput): Promise<SyncSpec> {
  const dir = input.dir ?? DEFAULT_DIR;
  const fromDir = input.fromDir ?? dir;
  const platforms = imageMirrorPlatforms(input.filterByOs, input.keepManifestList === true);
  const specs = [parseOcArguments(input.args, { platforms, fromDir, dir })];
  for (const path of input.files ?? []) specs.push(await loadSyncInput({ kind: 'mapping', path, platforms, fromDir, dir }, { signal: input.signal }));
  const spec = mergeSyncSpecs(specs);
  if (spec.sources.length === 0) {
    throw new FerryError('USAGE', 'nothing to mirror: give SRC DST [DST…], SRC=DST pairs, or -f FILE', {
      hint: "e.g. ferry image mirror --from-dir=mirror 'file://openshift/release:4.3.0*' registry.internal:5000/ocp/release",
    });
  }
  return spec;
}
