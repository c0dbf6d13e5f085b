import type { Node } from 'yaml';
import { FerryError } from '../../errors.ts';
import type { Digest } from '../../oci/digest.ts';
import { parseReference, type ImageReference } from '../../ref/reference.ts';
import { translateGoRegex } from '../select/go-regex.ts';
import { checkRule } from './check-rule.ts';
import { expandEnv, type Environment } from './env-expand.ts';
import { allTags, explicitTags, parseTagOrDigest } from './image-items.ts';
import { normalizeRegistry, splitRegistryPath } from './registry-options.ts';
import { Secret } from './secret.ts';
import type { Credentials, Destination, Origin, PlatformFilter, RegistryEntry, RegistryOptions, SourceRule, SyncSpec, TagSelector } from './sync-spec.ts';
import {
  checkKeys,
  configError,
  entry,
  isList,
  isMapping,
  isNull,
  nodeError,
  parseYamlFile,
  readBool,
  readMap,
  readSecretText,
  readSeq,
  readString,
  root,
  type Entry,
  type YamlFile,
} from './yaml-reader.ts';

export interface ImageSyncerOptions {
  /** For `${VAR}` / `$VAR` in destinations and auth entries. */
  env: Environment;
  /** image-syncer's `--os`/`--arch` filters; default every platform. */
  platforms?: PlatformFilter | undefined;
  /**
   * image-syncer's default registry and namespace (`--registry`/`--namespace`,
   * `DEFAULT_REGISTRY`/`DEFAULT_NAMESPACE`): an empty destination means
   * `REGISTRY/NAMESPACE/<repository name>` with the source's tags.
   */
  defaults?: { registry: string; namespace: string } | undefined;
}

const AUTH_KEYS = ['username', 'password', 'identityToken', 'insecure'] as const;

/**
 * Parses image-syncer's files: the images file (JSON or YAML, `source:
 * destination` or `source: [destinations]`) and the optional auth file
 * (`registry` or `registry/namespace` → username, password,
 * identityToken, insecure). The older combined form `{auth: {…}, images:
 * {…}}` (image-syncer `--config`) is accepted as the images file.
 *
 * Source forms: `registry/ns/repo` (every tag), `repo:tag`, `repo:t1,t2`,
 * `repo@sha256:…`, `repo:/regex/` (tags matching a Go regex). A destination
 * without tag keeps the source tag (or digest); one with a tag renames a
 * single image; several tags cannot go to one tagged destination.
 *
 * @throws FerryError `INVALID_CONFIG` ("file:line: …").
 */
export function parseImageSyncer(
  images: { text: string; file: string },
  auth: { text: string; file: string } | undefined,
  options: ImageSyncerOptions,
): SyncSpec {
  const yf = parseYamlFile(images.text, images.file);
  let top = root(yf);
  const registries: RegistryEntry[] = [];
  if (isNull(top)) return { sources: [], registries, defaults: {}, warnings: [{ origin: { file: images.file, line: 1 }, message: 'the images file has no rules; nothing to sync' }] };
  let entries = readMap(yf, top, 'the images file');
  const combined = entries.length > 0 && entries.every((e) => (e.key === 'auth' || e.key === 'images') && isMapping(yf, e.value));
  if (combined) {
    const authEntry = entry(entries, 'auth');
    if (authEntry) registries.push(...authEntries(yf, authEntry.value, options.env));
    top = entry(entries, 'images')?.value ?? null;
    entries = isNull(top) ? [] : readMap(yf, top, 'images');
  }
  if (auth !== undefined) {
    const af = parseYamlFile(auth.text, auth.file);
    const authRoot = root(af);
    if (!isNull(authRoot)) registries.push(...authEntries(af, authRoot, options.env));
  }
  const sources = entries.map((e) => rule(yf, e, options));
  return { sources, registries, defaults: {}, warnings: [] };
}

function rule(yf: YamlFile, e: Entry, options: ImageSyncerOptions): SourceRule {
  const origin: Origin = { file: yf.file, line: e.line };
  const { ref, tags, many } = parseSource(e.key, origin);
  const destNodes: { node: Node | null; at: number }[] = isList(yf, e.value)
    ? readSeq(yf, e.value, `destinations of ${e.key}`).map((node) => ({ node, at: e.line }))
    : [{ node: e.value, at: e.line }];
  if (destNodes.length === 0) throw configError(origin, `no destination for "${e.key}"`);
  const seen = new Set<string>();
  const destinations: Destination[] = [];
  for (const { node, at } of destNodes) {
    // `repo:` with nothing after it is an empty destination too, as Go's YAML reads it.
    const raw = isNull(node) ? '' : readString(yf, node, `destination of "${e.key}"`, { at, allowEmpty: true });
    const where: Origin = { file: yf.file, line: isNull(node) ? at : (nodeLine(yf, node) ?? at) };
    const text = raw.trim() === '' ? defaultDestination(ref, where, e.key, options) : expandEnv(raw.trim(), options.env, where, { bare: true });
    if (seen.has(text)) continue;
    seen.add(text);
    destinations.push(parseDestination(text, tags, many, where));
  }
  const r: SourceRule = {
    source: { kind: 'repository', registry: ref.registry, repository: ref.repository },
    tags,
    platforms: options.platforms ?? { kind: 'all' },
    destinations,
    origin,
  };
  checkRule(r);
  return r;
}

/** image-syncer's meaning of an empty destination: the default registry and namespace, then the source's repository name. */
function defaultDestination(ref: ImageReference, where: Origin, key: string, options: ImageSyncerOptions): string {
  if (options.defaults === undefined) {
    throw configError(where, `empty destination for "${key}", and no default registry and namespace`, 'give --registry and --namespace (or DEFAULT_REGISTRY and DEFAULT_NAMESPACE), or write the destination repository');
  }
  const name = ref.repository.slice(ref.repository.lastIndexOf('/') + 1);
  return `${options.defaults.registry}/${options.defaults.namespace}/${name}`;
}

function nodeLine(yf: YamlFile, node: Node | null): number | undefined {
  const start = node?.range?.[0];
  return start === undefined ? undefined : yf.lines.linePos(start).line;
}

/** The repository and tag selection of an image-syncer source key. */
function parseSource(text: string, origin: Origin): { ref: ImageReference; tags: TagSelector; many: boolean } {
  const bad = (why: string) =>
    configError(origin, `invalid source "${text}": ${why}`, 'expected REPO, REPO:TAG, REPO:TAG1,TAG2, REPO@sha256:… or REPO:/REGEX/');
  const regexForm = /^(.+?):\/(.*)\/$/s.exec(text);
  let name = text;
  let tags: TagSelector;
  let many = true;
  if (regexForm) {
    name = regexForm[1]!;
    const regex = translateGoRegex(regexForm[2]!);
    if (typeof regex === 'string') throw bad(`the tag regex does not compile: ${regex}`);
    tags = { ...allTags(), regex };
  } else if (text.includes('@')) {
    const at = text.indexOf('@');
    name = text.slice(0, at);
    const item = parseTagOrDigest(text.slice(at + 1));
    if (typeof item === 'string' || !('digest' in item)) throw bad(typeof item === 'string' ? item : 'expected a digest after "@"');
    tags = explicitTags([item]);
    many = false;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon > text.lastIndexOf('/')) {
      name = text.slice(0, colon);
      const list = text.slice(colon + 1).split(',').map((t) => t.trim());
      const items = list.map((t) => {
        if (t === '') throw bad('empty tag in the list');
        const item = parseTagOrDigest(t);
        if (typeof item === 'string' || !('tag' in item)) throw bad(typeof item === 'string' ? item : `"${t}" is not a tag`);
        return item;
      });
      tags = explicitTags(items);
      many = tags.kind === 'explicit' && tags.tags.length > 1;
    } else {
      tags = allTags();
    }
  }
  let ref: ImageReference;
  try {
    ref = parseReference(name);
  } catch (error) {
    throw bad(error instanceof FerryError ? error.message : String(error));
  }
  if (ref.tag !== undefined || ref.digest !== undefined) throw bad('unexpected tag or digest in the repository part');
  return { ref, tags, many };
}

function parseDestination(text: string, tags: TagSelector, many: boolean, origin: Origin): Destination {
  let ref: ImageReference;
  try {
    ref = parseReference(text);
  } catch (error) {
    throw configError(origin, `invalid destination "${text}": ${error instanceof FerryError ? error.message : String(error)}`);
  }
  const sourceDigest: Digest | undefined = tags.kind === 'explicit' ? tags.digests[0] : undefined;
  if (ref.digest !== undefined && ref.digest !== sourceDigest) {
    throw configError(origin, `destination "${text}" names a digest other than the source's`, 'leave the digest out; the copy keeps it');
  }
  if (ref.tag !== undefined && many) {
    throw configError(origin, `destination "${text}" has a tag, but the source selects several tags`, 'leave the tag out so each image keeps its own');
  }
  return {
    location: { transport: 'docker', root: ref.registry },
    path: ref.repository,
    naming: { mode: 'explicit', tag: ref.tag },
    origin,
  };
}

/** Auth entries keyed by `registry` or `registry/namespace`. */
function authEntries(yf: YamlFile, node: Node | null, env: Environment): RegistryEntry[] {
  return readMap(yf, node, 'the auth file').map((e) => {
    const origin: Origin = { file: yf.file, line: e.line };
    const split = splitRegistryPath(e.key);
    const host = e.key.split('/')[0]!;
    if ('problem' in split || typeof normalizeRegistry(host) !== 'string') {
      const problem = 'problem' in split ? split.problem : (normalizeRegistry(host) as { problem: string }).problem;
      throw configError(origin, `invalid auth key "${e.key}": ${problem}`, 'keys are a registry (quay.io) or registry/namespace (quay.io/coreos)');
    }
    const fields = isNull(e.value) ? [] : readMap(yf, e.value, `auth for ${e.key}`);
    checkKeys(yf, fields, AUTH_KEYS, `auth for ${e.key}`);
    const secret = (key: string): string | undefined => {
      const f = entry(fields, key);
      if (!f) return undefined;
      return expandEnv(readSecretText(yf, f.value, `${e.key} ${key}`, f.line), env, { file: yf.file, line: f.line }, { bare: true });
    };
    const username = secret('username') ?? '';
    const password = secret('password') ?? '';
    const identityToken = secret('identityToken') ?? '';
    const options: RegistryOptions = {};
    let credentials: Credentials | undefined;
    // docker's rule: an identity token, when present, is what authenticates.
    if (identityToken !== '') credentials = { kind: 'identity-token', token: new Secret(identityToken) };
    else if (username !== '' || password !== '') {
      if (username === '') throw nodeError(yf, e.line, `auth for ${e.key}: password given without username`);
      credentials = { kind: 'basic', username, password: new Secret(password) };
    }
    if (credentials !== undefined) options.credentials = credentials;
    const insecure = entry(fields, 'insecure');
    if (insecure && readBool(yf, insecure.value, `${e.key} insecure`, insecure.line)) options.tlsVerify = false;
    const scope = split.path === '' ? split.registry : `${split.registry}/${split.path}`;
    return { scope, options, origin };
  });
}
