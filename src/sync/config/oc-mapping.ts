import { FerryError } from '../../errors.ts';
import { formatReference, parseReference, type ImageReference } from '../../ref/reference.ts';
import { parseOcDiskName, type OcDiskName } from '../../ref/oc-disk-ref.ts';
import { checkRule } from './check-rule.ts';
import { explicitTags } from './image-items.ts';
import { COMMAND_LINE, type Destination, type Origin, type PlatformFilter, type Source, type SourceRule, type SyncSpec, type TagSelector } from './sync-spec.ts';
import { configError } from './yaml-reader.ts';

export interface OcMappingOptions {
  /** `--filter-by-os`-like narrowing; default every platform, as `oc image mirror`. */
  platforms?: PlatformFilter | undefined;
  /**
   * `oc image mirror --from-dir`: the directory `file://REPOSITORY…` sources
   * are read from (oc's disk format). Without it `file://` sources are refused.
   */
  fromDir?: string | undefined;
  /** `oc image mirror --dir`: the directory `file://REPOSITORY[:TAG]` destinations are written to. Without it they are refused. */
  dir?: string | undefined;
}

/** What one line (or the command line) adds to the spec, with oc's "each destination tag once" rule kept across lines. */
interface MappingState {
  sources: SourceRule[];
  written: Map<string, { source: string; line: number }>;
  options: OcMappingOptions;
}

// The characters oc allows in a wildcard source tag.
const WILDCARD_TAG = /^[\w.*-]+$/;

/**
 * Parses an `oc image mirror --filename` mapping file. Each line is
 * `SRC DST [DST…]` or one or more `SRC=DST`; `#` starts a comment, blank
 * lines are skipped. SRC needs a tag, a digest, or a tag with `*` wildcards
 * (matching the repository's tags as a glob); DST is a repository, or an
 * image with a tag when SRC names one image. A DST without tag takes the
 * source's tag; a digest source goes by digest. As in oc, one destination
 * tag may be written only once.
 *
 * `file://REPOSITORY…` names an image of oc's disk format under
 * `options.fromDir` (sources) or `options.dir` (destinations), as `oc image
 * mirror --from-dir/--dir` does.
 *
 * Stricter than oc: a line mixing `SRC=DST` with bare words, and a tagged
 * DST for a wildcard SRC, are errors even when oc would let them pass.
 *
 * @throws FerryError `INVALID_CONFIG` ("file:line: …").
 */
export function parseOcMapping(text: string, file: string, options: OcMappingOptions = {}): SyncSpec {
  const state: MappingState = { sources: [], written: new Map(), options };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const hash = lines[i]!.indexOf('#');
    const line = (hash === -1 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (line !== '') parseWords(line.split(/\s+/), { file, line: i + 1 }, state);
  }
  return { sources: state.sources, registries: [], defaults: {}, warnings: [] };
}

/**
 * The arguments of `oc image mirror SRC DST [DST…]` or `SRC=DST [SRC=DST…]`,
 * read as one line of a mapping file (see {@link parseOcMapping}); errors
 * name the command line. No arguments make an empty spec.
 *
 * @throws FerryError `INVALID_CONFIG` ("command line: …").
 */
export function parseOcArguments(args: readonly string[], options: OcMappingOptions = {}): SyncSpec {
  const state: MappingState = { sources: [], written: new Map(), options };
  if (args.length > 0) parseWords(args, { file: COMMAND_LINE, line: 0 }, state);
  return { sources: state.sources, registries: [], defaults: {}, warnings: [] };
}

function parseWords(words: readonly string[], origin: Origin, state: MappingState): void {
  const line = words.join(' ');
  const pairs = words.filter((w) => w.includes('='));
  let mappings: [string, string[]][];
  if (pairs.length > 0) {
    if (pairs.length !== words.length) throw configError(origin, 'a line holds either SRC=DST mappings or "SRC DST…", not both');
    mappings = pairs.map((p) => {
      const eq = p.indexOf('=');
      const src = p.slice(0, eq);
      const dst = p.slice(eq + 1);
      if (src === '' || dst === '') throw configError(origin, `"${p}" is not a SRC=DST mapping`);
      return [src, [dst]];
    });
  } else {
    if (words.length < 2) throw configError(origin, `"${line}" has a source but no destination`, 'write SRC DST or SRC=DST');
    mappings = [[words[0]!, words.slice(1)]];
  }
  for (const [src, dsts] of mappings) {
    const { source, tags, wildcard } = parseSource(src, origin, state.options);
    const destinations = dsts.map((d) => parseDestination(d, wildcard, origin, state.options));
    const rule: SourceRule = { source, tags, platforms: state.options.platforms ?? { kind: 'all' }, destinations, origin };
    checkRule(rule);
    if (!wildcard) checkWrittenOnce(rule, src, state.written, origin);
    state.sources.push(rule);
  }
}

const FILE_SCHEME = 'file://';

function unsupportedScheme(text: string, origin: Origin): void {
  const m = /^([a-z0-9]+):\/\//.exec(text);
  if (m && m[1] !== 'docker' && m[1] !== 'file') {
    throw configError(origin, `"${text}": ${m[1]}:// locations are not supported`, 'ferry mirrors to registries (REGISTRY/REPOSITORY) and to oc\'s disk format (file://REPOSITORY with --dir)');
  }
}

/** The name after `file://` (oc drops one leading "/"), or undefined for a registry reference. */
function fileName(text: string): string | undefined {
  if (!text.startsWith(FILE_SCHEME)) return undefined;
  const rest = text.slice(FILE_SCHEME.length);
  return rest.startsWith('/') ? rest.slice(1) : rest;
}

/** The directory a `file://` reference resolves in, or the error that says which flag is missing. */
function fileDir(text: string, dir: string | undefined, flag: string, origin: Origin): string {
  if (dir !== undefined) return dir;
  throw configError(origin, `"${text}": file:// locations are not supported by ferry sync`, `use ferry image mirror, where ${flag} DIR names the directory (oc's disk format)`);
}

function parse(text: string, origin: Origin, what: string): ImageReference {
  unsupportedScheme(text, origin);
  try {
    return parseReference(text.replace(/^docker:\/\//, ''));
  } catch (error) {
    throw configError(origin, `invalid ${what} "${text}": ${error instanceof FerryError ? error.message : String(error)}`);
  }
}

/** A `file://` name in oc's disk format, with errors that name the line. */
function parseFile(text: string, name: string, origin: Origin, what: string): OcDiskName {
  try {
    return parseOcDiskName(name);
  } catch (error) {
    throw configError(origin, `invalid ${what} "${text}": ${error instanceof FerryError ? error.message : String(error)}`);
  }
}

function parseSource(text: string, origin: Origin, options: OcMappingOptions): { source: Source; tags: TagSelector; wildcard: boolean } {
  const file = fileName(text);
  const colon = text.lastIndexOf(':');
  // "file://" itself holds a colon: only one after the last "/" starts a tag.
  if (colon > text.lastIndexOf('/') && text.slice(colon + 1).includes('*') && !text.includes('@')) {
    const pattern = text.slice(colon + 1);
    if (!WILDCARD_TAG.test(pattern)) throw configError(origin, `invalid wildcard tag "${pattern}": only letters, digits, "_", ".", "-" and "*" are allowed`);
    const tags: TagSelector = { kind: 'filter', include: [pattern], exclude: [] };
    if (file !== undefined) {
      const name = parseFile(text, file.slice(0, file.lastIndexOf(':')), origin, 'source');
      return { source: { kind: 'oc-disk', path: fileDir(text, options.fromDir, '--from-dir', origin), repository: name.repository }, tags, wildcard: true };
    }
    const ref = parse(text.slice(0, colon), origin, 'source');
    return { source: { kind: 'repository', registry: ref.registry, repository: ref.repository }, tags, wildcard: true };
  }
  let source: Source;
  let ref: OcDiskName;
  if (file !== undefined) {
    ref = parseFile(text, file, origin, 'source');
    source = { kind: 'oc-disk', path: fileDir(text, options.fromDir, '--from-dir', origin), repository: ref.repository };
  } else {
    const image = parse(text, origin, 'source');
    ref = image;
    source = { kind: 'repository', registry: image.registry, repository: image.repository };
  }
  if (ref.tag === undefined && ref.digest === undefined) {
    throw configError(origin, `source "${text}" needs a tag, a digest or a wildcard tag`, `e.g. ${text}:latest or ${text}:*`);
  }
  const items = ref.digest !== undefined ? [{ digest: ref.digest }] : [{ tag: ref.tag! }];
  return { source, tags: explicitTags(items), wildcard: false };
}

function parseDestination(text: string, wildcard: boolean, origin: Origin, options: OcMappingOptions): Destination {
  const file = fileName(text);
  let ref: OcDiskName;
  let location: Destination['location'];
  if (file !== undefined) {
    ref = parseFile(text, file, origin, 'destination');
    location = { transport: 'oc-disk', root: fileDir(text, options.dir, '--dir', origin) };
  } else {
    const image = parse(text, origin, 'destination');
    ref = image;
    location = { transport: 'docker', root: image.registry };
  }
  if (ref.digest !== undefined) {
    throw configError(origin, `destination "${text}" has a digest`, 'give a tag, or leave it out to push by digest / keep the source tag');
  }
  if (wildcard && ref.tag !== undefined) {
    throw configError(origin, `destination "${text}" has a tag, but the source has a wildcard tag`, 'leave the tag out so each image keeps its own');
  }
  return { location, path: ref.repository, naming: { mode: 'explicit', tag: ref.tag }, origin };
}

/** oc's rule: each destination tag may only be specified once. */
function checkWrittenOnce(rule: SourceRule, src: string, written: Map<string, { source: string; line: number }>, origin: Origin): void {
  const tags = rule.tags.kind === 'explicit' ? rule.tags : undefined;
  for (const d of rule.destinations) {
    const tag = d.naming.mode === 'explicit' ? (d.naming.tag ?? tags?.tags[0]) : undefined;
    if (tag === undefined) continue;
    const key = d.location.transport === 'docker' ? formatReference(parseReference(`${d.location.root}/${d.path}:${tag}`)) : `file://${d.path}:${tag}`;
    const before = written.get(key);
    if (before !== undefined && before.source !== src) {
      throw configError(origin, `destination ${key} is already written by ${before.source} (line ${before.line})`, 'each destination tag may be specified only once');
    }
    written.set(key, { source: src, line: origin.line });
  }
}
