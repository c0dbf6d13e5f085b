import { FerryError } from '../../errors.ts';
import { formatReference, parseReference, type ImageReference } from '../../ref/reference.ts';
import { checkRule } from './check-rule.ts';
import { explicitTags } from './image-items.ts';
import type { Destination, Origin, PlatformFilter, SourceRule, SyncSpec, TagSelector } from './sync-spec.ts';
import { configError } from './yaml-reader.ts';

export interface OcMappingOptions {
  /** `--filter-by-os`-like narrowing; default every platform, as `oc image mirror`. */
  platforms?: PlatformFilter | undefined;
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
 * Stricter than oc: a line mixing `SRC=DST` with bare words, and a tagged
 * DST for a wildcard SRC, are errors even when oc would let them pass.
 *
 * @throws FerryError `INVALID_CONFIG` ("file:line: …").
 */
export function parseOcMapping(text: string, file: string, options: OcMappingOptions = {}): SyncSpec {
  const sources: SourceRule[] = [];
  const written = new Map<string, { source: string; line: number }>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const origin: Origin = { file, line: i + 1 };
    const hash = lines[i]!.indexOf('#');
    const line = (hash === -1 ? lines[i]! : lines[i]!.slice(0, hash)).trim();
    if (line === '') continue;
    const words = line.split(/\s+/);
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
      const { ref, tags, wildcard } = parseSource(src, origin);
      const destinations = dsts.map((d) => parseDestination(d, wildcard, origin));
      const rule: SourceRule = {
        source: { kind: 'repository', registry: ref.registry, repository: ref.repository },
        tags,
        platforms: options.platforms ?? { kind: 'all' },
        destinations,
        origin,
      };
      checkRule(rule);
      if (!wildcard) checkWrittenOnce(rule, src, written, origin);
      sources.push(rule);
    }
  }
  return { sources, registries: [], defaults: {}, warnings: [] };
}

function unsupportedScheme(text: string, origin: Origin): void {
  const m = /^([a-z0-9]+):\/\//.exec(text);
  if (m && m[1] !== 'docker') {
    throw configError(origin, `"${text}": ${m[1]}:// locations are not supported by ferry sync`, 'ferry mirrors registry to registry here; see `ferry mirror` for disk transfers');
  }
}

function parse(text: string, origin: Origin, what: string): ImageReference {
  unsupportedScheme(text, origin);
  try {
    return parseReference(text.replace(/^docker:\/\//, ''));
  } catch (error) {
    throw configError(origin, `invalid ${what} "${text}": ${error instanceof FerryError ? error.message : String(error)}`);
  }
}

function parseSource(text: string, origin: Origin): { ref: ImageReference; tags: TagSelector; wildcard: boolean } {
  const colon = text.lastIndexOf(':');
  if (colon > text.lastIndexOf('/') && text.slice(colon + 1).includes('*') && !text.includes('@')) {
    const pattern = text.slice(colon + 1);
    if (!WILDCARD_TAG.test(pattern)) throw configError(origin, `invalid wildcard tag "${pattern}": only letters, digits, "_", ".", "-" and "*" are allowed`);
    const ref = parse(text.slice(0, colon), origin, 'source');
    return { ref, tags: { kind: 'filter', include: [pattern], exclude: [] }, wildcard: true };
  }
  const ref = parse(text, origin, 'source');
  if (ref.tag === undefined && ref.digest === undefined) {
    throw configError(origin, `source "${text}" needs a tag, a digest or a wildcard tag`, `e.g. ${text}:latest or ${text}:*`);
  }
  const items = ref.digest !== undefined ? [{ digest: ref.digest }] : [{ tag: ref.tag! }];
  return { ref: { registry: ref.registry, repository: ref.repository }, tags: explicitTags(items), wildcard: false };
}

function parseDestination(text: string, wildcard: boolean, origin: Origin): Destination {
  const ref = parse(text, origin, 'destination');
  if (ref.digest !== undefined) {
    throw configError(origin, `destination "${text}" has a digest`, 'give a tag, or leave it out to push by digest / keep the source tag');
  }
  if (wildcard && ref.tag !== undefined) {
    throw configError(origin, `destination "${text}" has a tag, but the source has a wildcard tag`, 'leave the tag out so each image keeps its own');
  }
  return { location: { transport: 'docker', root: ref.registry }, path: ref.repository, naming: { mode: 'explicit', tag: ref.tag }, origin };
}

/** oc's rule: each destination tag may only be specified once. */
function checkWrittenOnce(rule: SourceRule, src: string, written: Map<string, { source: string; line: number }>, origin: Origin): void {
  const tags = rule.tags.kind === 'explicit' ? rule.tags : undefined;
  for (const d of rule.destinations) {
    if (d.location.transport !== 'docker') continue;
    const tag = d.naming.mode === 'explicit' ? (d.naming.tag ?? tags?.tags[0]) : undefined;
    if (tag === undefined) continue;
    const key = formatReference(parseReference(`${d.location.root}/${d.path}:${tag}`));
    const before = written.get(key);
    if (before !== undefined && before.source !== src) {
      throw configError(origin, `destination ${key} is already written by ${before.source} (line ${before.line})`, 'each destination tag may be specified only once');
    }
    written.set(key, { source: src, line: origin.line });
  }
}
