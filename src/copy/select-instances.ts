import { FerryError } from '../errors.ts';
import type { Descriptor, ImageIndex } from '../oci/descriptor.ts';
import { formatPlatform } from '../oci/manifest.ts';
import { currentPlatform, platformMatches, type PlatformSelector } from '../oci/platform.ts';

/** Which instances of an index to copy. */
export type InstanceSelection =
  | { mode: 'all' }
  | { mode: 'platforms'; platforms: PlatformSelector[] }
  /** The instance for the machine ferry runs on, as skopeo does by default. */
  | { mode: 'system' }
  /**
   * `oc image mirror --filter-by-os`: the instances whose `os/arch[/variant]`
   * the pattern matches. One match is copied alone unless `keepList` (then a
   * one-entry index is written, `--keep-manifest-list`); all of them keep the
   * index whole.
   */
  | { mode: 'matching'; pattern: RegExp; keepList: boolean }
  /** Every instance whose OS and architecture are listed (an empty list allows any), as image-syncer's `--os`/`--arch`. */
  | { mode: 'os-arch'; os: readonly string[]; architectures: readonly string[] };

export type SelectionResult =
  /** Every instance: the index is copied byte for byte. */
  | { kind: 'whole'; instances: Descriptor[] }
  /** One instance: it is copied alone and becomes the destination image. */
  | { kind: 'single'; instance: Descriptor }
  /** A subset: a new index listing only these is written (its digest differs). */
  | { kind: 'subset'; instances: Descriptor[] };

/** Entries that are attestations or signatures ride along with --all but are not platforms to pick. */
function isPlatformEntry(d: Descriptor): boolean {
  return d.platform !== undefined && d.platform.os !== 'unknown';
}

export function selectInstances(index: ImageIndex, selection: InstanceSelection, where: string): SelectionResult {
  if (selection.mode === 'all') return { kind: 'whole', instances: index.manifests };
  if (selection.mode === 'matching') return selectMatching(index, selection.pattern, selection.keepList, where);
  if (selection.mode === 'os-arch') return selectOsArch(index, selection, where);
  const wanted = selection.mode === 'system' ? [currentPlatform()] : selection.platforms;
  const chosen: Descriptor[] = [];
  for (const want of wanted) {
    const match = index.manifests.find((d) => isPlatformEntry(d) && platformMatches(d.platform, want));
    if (!match) {
      const available = index.manifests.filter(isPlatformEntry).map((d) => formatPlatform(d.platform)).join(', ');
      throw new FerryError('NOT_FOUND', `${where}: no instance for platform ${[want.os, want.architecture, want.variant].filter(Boolean).join('/')}`, {
        hint: `available: ${available || 'none'}; choose with --platform, or copy every instance with --all`,
      });
    }
    if (!chosen.includes(match)) chosen.push(match);
  }
  if (selection.mode === 'system' || chosen.length === 1) return { kind: 'single', instance: chosen[0]! };
  if (chosen.length === index.manifests.length) return { kind: 'whole', instances: index.manifests };
  return { kind: 'subset', instances: chosen };
}

function selectMatching(index: ImageIndex, pattern: RegExp, keepList: boolean, where: string): SelectionResult {
  // A fresh copy: a /g or /y pattern would carry lastIndex from one test to the next.
  const re = new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, ''));
  // Every entry is judged by its platform string, as oc does: ".*" keeps attestations ("unknown/unknown") and the digest.
  const chosen = index.manifests.filter((d) => re.test(formatPlatform(d.platform)));
  if (chosen.length === 0) {
    const available = index.manifests.filter(isPlatformEntry).map((d) => formatPlatform(d.platform)).join(', ');
    throw new FerryError('NOT_FOUND', `${where}: no instance matches the platform filter /${pattern.source}/`, { hint: `available: ${available || 'none'}` });
  }
  if (chosen.length === index.manifests.length) return { kind: 'whole', instances: index.manifests };
  if (chosen.length === 1 && !keepList) return { kind: 'single', instance: chosen[0]! };
  return { kind: 'subset', instances: chosen };
}

/** image-syncer's filter: every platform entry that passes; all of them keep the index as it is. */
function selectOsArch(index: ImageIndex, selection: { os: readonly string[]; architectures: readonly string[] }, where: string): SelectionResult {
  const platforms = index.manifests.filter(isPlatformEntry);
  const chosen = platforms.filter(
    (d) => (selection.os.length === 0 || selection.os.includes(d.platform!.os)) && (selection.architectures.length === 0 || selection.architectures.includes(d.platform!.architecture)),
  );
  if (chosen.length === 0) {
    const wanted = [selection.os.length > 0 ? `os ${selection.os.join('|')}` : '', selection.architectures.length > 0 ? `arch ${selection.architectures.join('|')}` : ''].filter(Boolean).join(', ');
    throw new FerryError('NOT_FOUND', `${where}: no instance for ${wanted}`, {
      hint: `available: ${platforms.map((d) => formatPlatform(d.platform)).join(', ') || 'none'}; change --os/--arch`,
    });
  }
  if (chosen.length === platforms.length) return { kind: 'whole', instances: index.manifests };
  return { kind: 'subset', instances: chosen };
}
