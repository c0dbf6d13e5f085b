import type { Node } from 'yaml';
import { FerryError } from '../../errors.ts';
import { parsePlatform } from '../../oci/platform.ts';
import { globProblem, isGlob, matchesAny } from '../select/glob.ts';
import { translateGoRegex } from '../select/go-regex.ts';
import { versionRangeProblem } from '../select/semver-match.ts';
import { allTags, explicitTags, parseRepository, parseTagOrDigest } from './image-items.ts';
import { looksLikeRegistry, normalizeRegistry, splitRegistryPath } from './registry-options.ts';
import type { ConfigWarning, Destination, FlattenLevel, Origin, PlatformFilter, Source, TagFilter, TagSelector } from './sync-spec.ts';
import { splitStorageSpec, type StorageSpec } from '../../ref/containers-storage-ref.ts';
import {
  checkKeys,
  configError,
  entry,
  isList,
  isMapping,
  isNull,
  nodeError,
  originOf,
  readInt,
  readMap,
  readSeq,
  readString,
  type Entry,
  type YamlFile,
} from './yaml-reader.ts';

/** ferry YAML building blocks: `from`, `tags`, `platforms`, `to`. See FORMAT.md. */

const FROM_KEYS = ['registry', 'repository', 'repositories', 'exclude', 'oci'] as const;
const TAG_KEYS = ['include', 'exclude', 'regex', 'semver', 'newest', 'by'] as const;
const TO_KEYS = ['registry', 'oci', 'namespace', 'flatten', 'repository', 'tag'] as const;

/** A `to:` before the rule's suffix is known. */
export type ParsedDestination = Omit<Destination, 'suffix'> & { explicitTag: boolean };

/** `from:` — one repository, a filtered catalog, or an OCI layout. Literal names never need `_catalog`. */
export function parseFrom(yf: YamlFile, node: Node | null, at: number, warnings: ConfigWarning[]): Source[] {
  if (isNull(node)) throw nodeError(yf, at, 'from: is empty; name a repository, e.g. from: docker.io/library/nginx');
  if (!isMapping(yf, node)) {
    const text = readString(yf, node, 'from');
    if (text.startsWith('oci:')) return [layoutFromString(yf, node, text)];
    if (text.startsWith('docker-daemon:') || text.startsWith('containers-storage:')) return [engineFromString(yf, node, text)];
    const clean = text.replace(/^docker:\/\//, '');
    if (!isGlob(clean)) {
      const split = splitRegistryPath(clean);
      if ('problem' in split) throw nodeError(yf, node, `invalid from "${text}": ${split.problem}`);
      // A bare registry means all of its repositories.
      return repositories(yf, node, split.registry, split.path === '' ? [] : [split.path], [], warnings);
    }
    const slash = clean.indexOf('/');
    const host = slash === -1 || !looksLikeRegistry(clean.slice(0, slash)) ? undefined : normalizeRegistry(clean.slice(0, slash));
    if (typeof host !== 'string') {
      throw nodeError(yf, node, `invalid from "${text}": ${host?.problem ?? 'name the registry before the pattern, e.g. registry.example.com/team/**'}`);
    }
    const pattern = clean.slice(slash + 1);
    const problem = globProblem(pattern);
    if (problem !== undefined) throw nodeError(yf, node, `invalid repository pattern "${pattern}": ${problem}`);
    return repositories(yf, node, host, [pattern], [], warnings);
  }
  const fields = readMap(yf, node, 'from');
  checkKeys(yf, fields, FROM_KEYS, 'from');
  const oci = entry(fields, 'oci');
  const registryEntry = entry(fields, 'registry');
  const one = entry(fields, 'repository');
  const many = entry(fields, 'repositories');
  const exclude = entry(fields, 'exclude');
  if (oci) {
    if (registryEntry || many || exclude) throw nodeError(yf, oci.line, 'from: oci takes only an optional repository, not registry, repositories or exclude');
    const repository = one ? readString(yf, one.value, 'from.repository', { at: one.line }) : undefined;
    if (repository !== undefined) checkLayoutRepository(yf, one!.value, repository);
    return [{ kind: 'oci-layout', path: readString(yf, oci.value, 'from.oci', { at: oci.line }), repository }];
  }
  if (!registryEntry) throw nodeError(yf, at, 'from needs a registry (or oci: PATH)');
  const host = readString(yf, registryEntry.value, 'from.registry', { at: registryEntry.line });
  const split = splitRegistryPath(host);
  if ('problem' in split || split.path !== '') {
    throw nodeError(yf, registryEntry.value, `invalid from.registry "${host}": ${'problem' in split ? split.problem : 'give only the host, and repositories separately'}`);
  }
  if (one && many) throw nodeError(yf, many.line, 'from: give repository or repositories, not both');
  const include = one ? [readString(yf, one.value, 'from.repository', { at: one.line })] : many ? stringList(yf, many, 'from.repositories') : [];
  const excludes = exclude ? stringList(yf, exclude, 'from.exclude') : [];
  for (const [list, e] of [[include, one ?? many], [excludes, exclude]] as const) {
    for (const p of list) {
      const problem = globProblem(p);
      if (problem !== undefined) throw nodeError(yf, e!.line, `invalid repository pattern "${p}": ${problem}`);
    }
  }
  return repositories(yf, registryEntry.value, split.registry, include, excludes, warnings);
}

/** Literal names become repository sources; patterns (or none) one catalog source. */
function repositories(yf: YamlFile, node: Node | null, registry: string, include: string[], exclude: string[], warnings: ConfigWarning[]): Source[] {
  const out: Source[] = [];
  const patterns = include.filter(isGlob);
  for (const literal of include.filter((p) => !isGlob(p))) {
    const ref = parseRepository(`${registry}/${literal}`);
    if (typeof ref === 'string') throw nodeError(yf, node, `invalid repository "${literal}": ${ref}`);
    if (matchesAny(exclude, ref.repository) || matchesAny(exclude, literal)) {
      warnings.push({ origin: originOf(yf, node), message: `repository ${literal} is listed and excluded; skipping it` });
      continue;
    }
    out.push({ kind: 'repository', registry: ref.registry, repository: ref.repository });
  }
  if (patterns.length > 0 || include.length === 0) {
    if (registry === 'docker.io') {
      throw nodeError(yf, node, 'Docker Hub does not list its repositories (no _catalog), so patterns cannot be expanded there', 'list the repositories by name');
    }
    out.push({ kind: 'catalog', registry, repositories: { include: patterns, exclude } });
  }
  return out;
}

function layoutFromString(yf: YamlFile, node: Node | null, text: string): Source {
  const rest = text.slice('oci:'.length);
  const colon = rest.indexOf(':');
  const path = colon === -1 ? rest : rest.slice(0, colon);
  const repository = colon === -1 ? undefined : rest.slice(colon + 1);
  if (path === '') throw nodeError(yf, node, `invalid from "${text}": the layout path is empty`);
  if (repository !== undefined) checkLayoutRepository(yf, node, repository);
  return { kind: 'oci-layout', path, repository };
}

/** `docker-daemon:REPO` or `containers-storage:[STORE]REPO`: every tag (before `tags:` filters) of one repository of a local engine. */
function engineFromString(yf: YamlFile, node: Node | null, text: string): Source {
  const transport = text.startsWith('docker-daemon:') ? 'docker-daemon' : 'containers-storage';
  let rest = text.slice(transport.length + 1);
  let store: StorageSpec | undefined;
  try {
    if (transport === 'containers-storage') ({ store, rest } = splitStorageSpec(rest));
  } catch (error) {
    throw nodeError(yf, node, error instanceof FerryError ? error.message : String(error));
  }
  const ref = parseRepository(rest);
  if (typeof ref === 'string') throw nodeError(yf, node, `invalid from "${text}": ${ref}`, `name a repository; pick tags with tags:, e.g. from: ${transport}:app`);
  return { kind: 'engine', transport, registry: ref.registry, repository: ref.repository, ...(store ? { store } : {}) };
}

function checkLayoutRepository(yf: YamlFile, node: Node | null, repository: string): void {
  const ref = parseRepository(`localhost/${repository}`);
  if (typeof ref === 'string') throw nodeError(yf, node, `invalid repository "${repository}": ${ref}`);
}

/** `tags:` — omitted or `all`: every tag; a list: exactly these tags/digests; a mapping: filters. */
export function parseTags(yf: YamlFile, e: Entry | undefined): TagSelector {
  if (!e || isNull(e.value)) return allTags();
  if (isList(yf, e.value)) {
    const items = readSeq(yf, e.value, 'tags').map((n) => {
      const item = parseTagOrDigest(readString(yf, n, 'a tag'));
      if (typeof item === 'string') throw nodeError(yf, n, item);
      return item;
    });
    if (items.length === 0) throw nodeError(yf, e.line, 'tags: [] selects nothing; omit tags to take all');
    return explicitTags(items);
  }
  if (!isMapping(yf, e.value)) {
    const word = readString(yf, e.value, 'tags');
    if (word === 'all') return allTags();
    throw nodeError(yf, e.value, `tags must be "all", a list of tags, or a mapping of filters (include, exclude, regex, semver, newest), not "${word}"`);
  }
  const fields = readMap(yf, e.value, 'tags');
  checkKeys(yf, fields, TAG_KEYS, 'tags');
  const filter: TagFilter = { ...allTags() };
  const include = entry(fields, 'include');
  const exclude = entry(fields, 'exclude');
  if (include) filter.include = globList(yf, include, 'tags.include');
  if (exclude) filter.exclude = globList(yf, exclude, 'tags.exclude');
  const regex = entry(fields, 'regex');
  if (regex) {
    const spec = translateGoRegex(readString(yf, regex.value, 'tags.regex', { at: regex.line }));
    if (typeof spec === 'string') throw nodeError(yf, regex.value, `invalid tags.regex: ${spec}`);
    filter.regex = spec;
  }
  const semver = entry(fields, 'semver');
  if (semver) {
    const range = readString(yf, semver.value, 'tags.semver', { at: semver.line });
    const problem = versionRangeProblem(range);
    if (problem !== undefined) throw nodeError(yf, semver.value, `invalid tags.semver: ${problem}`);
    filter.semver = range;
  }
  const newest = entry(fields, 'newest');
  const by = entry(fields, 'by');
  if (by && !newest) throw nodeError(yf, by.line, 'tags.by only applies together with newest');
  if (newest) {
    const count = readInt(yf, newest.value, 'tags.newest', 1, 100_000, newest.line);
    const order = by ? readString(yf, by.value, 'tags.by', { at: by.line }) : 'semver';
    if (order !== 'semver' && order !== 'created') throw nodeError(yf, by!.value, `tags.by must be semver or created, not "${order}"`);
    filter.newest = { count, by: order };
  }
  return filter;
}

/** `platforms:` — `all`, `system`, or a list of os/arch[/variant]. */
export function parsePlatforms(yf: YamlFile, e: Entry): PlatformFilter {
  const list = isList(yf, e.value) ? readSeq(yf, e.value, 'platforms') : [e.value];
  if (list.length === 1) {
    const word = readString(yf, list[0]!, 'platforms', { at: e.line });
    if (word === 'all' || word === 'system') return { kind: word };
  }
  if (list.length === 0) throw nodeError(yf, e.line, 'platforms: [] selects nothing; omit it or write all');
  const platforms = list.map((n) => {
    try {
      return parsePlatform(readString(yf, n, 'a platform', { at: e.line }));
    } catch (error) {
      throw nodeError(yf, n, error instanceof FerryError ? error.message : String(error));
    }
  });
  return { kind: 'list', platforms };
}

/** `to:` — a string (`registry[/namespace]`, `oci:PATH`), a mapping, or a list of either. */
export function parseTo(yf: YamlFile, e: Entry): ParsedDestination[] {
  if (isNull(e.value)) throw nodeError(yf, e.line, 'to: is empty');
  const items = isList(yf, e.value) ? readSeq(yf, e.value, 'to') : [e.value!];
  if (items.length === 0) throw nodeError(yf, e.line, 'to: [] has no destination');
  return items.map((n) => parseOneTo(yf, n));
}

function parseOneTo(yf: YamlFile, node: Node): ParsedDestination {
  const origin = originOf(yf, node);
  const flatten0 = { mode: 'flatten', level: 0 } as const;
  if (!isMapping(yf, node)) {
    const text = readString(yf, node, 'to');
    if (text.startsWith('oci:')) return { location: { transport: 'oci', root: nonEmpty(origin, text.slice(4)) }, path: '', naming: flatten0, origin, explicitTag: false };
    const split = splitRegistryPath(text.replace(/^docker:\/\//, ''));
    if ('problem' in split) throw configError(origin, `invalid to "${text}": ${split.problem}`);
    return { location: { transport: 'docker', root: split.registry }, path: split.path, naming: flatten0, origin, explicitTag: false };
  }
  const fields = readMap(yf, node, 'to');
  checkKeys(yf, fields, TO_KEYS, 'to');
  const registry = entry(fields, 'registry');
  const oci = entry(fields, 'oci');
  if ((registry === undefined) === (oci === undefined)) throw configError(origin, 'to needs exactly one of registry or oci');
  const namespace = entry(fields, 'namespace');
  const flatten = entry(fields, 'flatten');
  const repository = entry(fields, 'repository');
  const tag = entry(fields, 'tag');
  if (repository && (namespace || flatten)) throw nodeError(yf, repository.line, 'to.repository names the destination itself; it cannot be combined with namespace or flatten');
  if (tag && !repository) throw nodeError(yf, tag.line, 'to.tag needs to.repository');
  let location: Destination['location'];
  let prefix = '';
  if (registry) {
    const text = readString(yf, registry.value, 'to.registry', { at: registry.line });
    const split = splitRegistryPath(text);
    if ('problem' in split) throw nodeError(yf, registry.value, `invalid to.registry "${text}": ${split.problem}`);
    location = { transport: 'docker', root: split.registry };
    prefix = split.path;
  } else {
    location = { transport: 'oci', root: readString(yf, oci!.value, 'to.oci', { at: oci!.line }) };
  }
  const ns = namespace ? readString(yf, namespace.value, 'to.namespace', { allowEmpty: true, at: namespace.line }).replace(/^\/+|\/+$/g, '') : '';
  if (repository) {
    const repo = readString(yf, repository.value, 'to.repository', { at: repository.line });
    const full = [prefix, repo].filter((p) => p !== '').join('/');
    const check = parseRepository(`localhost/${full}`);
    if (typeof check === 'string') throw nodeError(yf, repository.value, `invalid to.repository "${repo}": ${check}`);
    let t: string | undefined;
    if (tag) {
      t = readString(yf, tag.value, 'to.tag', { at: tag.line });
      const item = parseTagOrDigest(t);
      if (typeof item === 'string' || !('tag' in item)) throw nodeError(yf, tag.value, typeof item === 'string' ? item : 'to.tag must be a tag');
    }
    return { location, path: full, naming: { mode: 'explicit', tag: t }, origin, explicitTag: t !== undefined };
  }
  const level = flatten ? (readInt(yf, flatten.value, 'to.flatten', -1, 3, flatten.line) as FlattenLevel) : 0;
  const path = [prefix, ns].filter((p) => p !== '').join('/');
  if (path !== '') {
    const check = parseRepository(`localhost/${path}`);
    if (typeof check === 'string') throw configError(origin, `invalid destination namespace "${path}": ${check}`);
  }
  return { location, path, naming: { mode: 'flatten', level }, origin, explicitTag: false };
}

function nonEmpty(origin: Origin, text: string): string {
  if (text === '') throw configError(origin, 'the layout path after oci: is empty');
  return text;
}

function stringList(yf: YamlFile, e: Entry, what: string): string[] {
  if (!isList(yf, e.value)) return [readString(yf, e.value, what, { at: e.line })];
  return readSeq(yf, e.value, what).map((n) => readString(yf, n, `an item of ${what}`));
}

function globList(yf: YamlFile, e: Entry, what: string): string[] {
  const list = stringList(yf, e, what);
  for (const p of list) {
    const problem = globProblem(p);
    if (problem !== undefined) throw nodeError(yf, e.line, `invalid pattern "${p}" in ${what}: ${problem}`);
  }
  return list;
}
