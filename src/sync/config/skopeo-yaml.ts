import type { Node } from 'yaml';
import { translateGoRegex } from '../select/go-regex.ts';
import { versionRangeProblem } from '../select/semver-match.ts';
import { checkRule } from './check-rule.ts';
import { allTags, explicitTags, parseRepository, parseTagOrDigest } from './image-items.ts';
import { mergeOptions, normalizeRegistry, splitRegistryPath } from './registry-options.ts';
import { Secret } from './secret.ts';
import { sideOptions, skopeoDestination, skopeoPlatforms, type SkopeoSyncFlags, type SkopeoTarget } from './skopeo-cli.ts';
import type { ConfigWarning, Credentials, RegistryOptions, SourceRule, SyncSpec, TagSelector } from './sync-spec.ts';
import {
  checkKeys,
  configError,
  entry,
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

const REGISTRY_KEYS = ['images', 'images-by-tag-regex', 'images-by-semver', 'credentials', 'tls-verify', 'cert-dir'] as const;
const CREDENTIAL_KEYS = ['username', 'password'] as const;

/**
 * Parses a `skopeo sync --src yaml` file: top-level keys are registries;
 * each has `images` (repository → tags and digests; an empty list means
 * every tag), `images-by-tag-regex` (repository → regex over tags),
 * `images-by-semver` (repository → semver range), and the registry's
 * `credentials` {username, password}, `tls-verify` and `cert-dir`. A
 * repository listed in several sections contributes one rule per section
 * (the engine copies each image once).
 *
 * Stricter than skopeo, which logs and skips what it cannot use: unknown
 * keys, malformed repositories, tags, digests, regexes and ranges are
 * errors naming `file:line`, before anything is copied.
 *
 * @param file how to name the file in messages.
 * @throws FerryError `INVALID_CONFIG` ("file:line: …"), or `USAGE` for bad flags / DESTINATION.
 */
export function parseSkopeoYaml(text: string, file: string, target: SkopeoTarget, flags: SkopeoSyncFlags = {}): SyncSpec {
  const yf = parseYamlFile(text, file);
  const top = root(yf);
  const warnings: ConfigWarning[] = [];
  const sources: SourceRule[] = [];
  if (isNull(top)) {
    warnings.push({ origin: { file, line: 1 }, message: 'the file lists no registries; nothing to sync' });
    return { sources, registries: [], defaults: {}, warnings };
  }
  const cliSource = sideOptions(flags.src, 'src', flags.authfile);
  const destination = skopeoDestination(target, flags);
  for (const reg of readMap(yf, top, 'the top level (registry names)')) {
    // skopeo joins "KEY/REPO", so a key may carry a namespace too (quay.io/coreos).
    const slash = reg.key.indexOf('/');
    const host = normalizeRegistry(slash === -1 ? reg.key : reg.key.slice(0, slash));
    const split = splitRegistryPath(reg.key);
    if (typeof host !== 'string' || 'problem' in split) {
      const problem = typeof host !== 'string' ? host.problem : (split as { problem: string }).problem;
      throw configError({ file, line: reg.line }, problem, 'top-level keys are registries, e.g. docker.io or quay.io');
    }
    const prefix = split.path === '' ? split.registry : `${split.registry}/${split.path}`;
    const entries = isNull(reg.value) ? [] : readMap(yf, reg.value, `registry ${reg.key}`);
    checkKeys(yf, entries, REGISTRY_KEYS, `registry ${reg.key}`);
    const sourceOptions = mergeOptions(cliSource, registryOptions(yf, entries, reg.key));
    const before = sources.length;
    const add = (repoEntry: Entry, tags: TagSelector): void => {
      const origin = { file, line: repoEntry.line };
      const ref = parseRepository(`${prefix}/${repoEntry.key}`);
      if (typeof ref === 'string') throw configError(origin, `repository "${repoEntry.key}": ${ref}`);
      const rule: SourceRule = {
        source: { kind: 'repository', registry: ref.registry, repository: ref.repository },
        sourceOptions: Object.keys(sourceOptions).length === 0 ? undefined : sourceOptions,
        tags,
        platforms: skopeoPlatforms(flags),
        // Per rule, so naming errors found later point at this repository's line.
        destinations: [{ ...destination, origin }],
        origin,
      };
      checkRule(rule);
      sources.push(rule);
    };
    const images = entry(entries, 'images');
    if (images && !isNull(images.value)) {
      for (const repo of readMap(yf, images.value, `${reg.key} images`)) add(repo, imageList(yf, repo));
    }
    const byRegex = entry(entries, 'images-by-tag-regex');
    if (byRegex && !isNull(byRegex.value)) {
      for (const repo of readMap(yf, byRegex.value, `${reg.key} images-by-tag-regex`)) {
        const source = readString(yf, repo.value, `regex for ${repo.key}`, { at: repo.line });
        const regex = translateGoRegex(source);
        if (typeof regex === 'string') throw configError({ file, line: repo.line }, `invalid regex for ${repo.key}: ${regex}`);
        add(repo, { ...allTags(), regex });
      }
    }
    const bySemver = entry(entries, 'images-by-semver');
    if (bySemver && !isNull(bySemver.value)) {
      for (const repo of readMap(yf, bySemver.value, `${reg.key} images-by-semver`)) {
        const range = readString(yf, repo.value, `semver range for ${repo.key}`, { at: repo.line });
        const problem = versionRangeProblem(range);
        if (problem !== undefined) throw configError({ file, line: repo.line }, `invalid semver range for ${repo.key}: ${problem}`);
        add(repo, { ...allTags(), semver: range });
      }
    }
    if (sources.length === before) {
      warnings.push({ origin: { file, line: reg.line }, message: `registry ${reg.key} lists no images` });
    }
  }
  return { sources, registries: [], defaults: {}, warnings };
}

/** `repo: [tags and digests]`; an empty or missing list means every tag. */
function imageList(yf: YamlFile, repo: Entry): TagSelector {
  if (isNull(repo.value)) return allTags();
  const items = readSeq(yf, repo.value, `the tag list of ${repo.key}`).map((node: Node) => {
    const text = readString(yf, node, `a tag of ${repo.key}`);
    const item = parseTagOrDigest(text);
    if (typeof item === 'string') throw nodeError(yf, node, `${repo.key}: ${item}`);
    return item;
  });
  return items.length === 0 ? allTags() : explicitTags(items);
}

function registryOptions(yf: YamlFile, entries: Entry[], name: string): RegistryOptions {
  const out: RegistryOptions = {};
  const creds = entry(entries, 'credentials');
  if (creds && !isNull(creds.value)) {
    const c = readMap(yf, creds.value, `${name} credentials`);
    checkKeys(yf, c, CREDENTIAL_KEYS, `${name} credentials`);
    const user = entry(c, 'username');
    const pass = entry(c, 'password');
    const username = user ? readSecretText(yf, user.value, `${name} credentials username`) : '';
    const password = pass ? readSecretText(yf, pass.value, `${name} credentials password`) : '';
    // skopeo ignores an all-empty credentials block.
    if (username !== '' || password !== '') {
      if (username === '') throw configError({ file: yf.file, line: creds.line }, `${name} credentials: password given without username`);
      const credentials: Credentials = { kind: 'basic', username, password: new Secret(password) };
      out.credentials = credentials;
    }
  }
  const tls = entry(entries, 'tls-verify');
  if (tls) out.tlsVerify = readBool(yf, tls.value, `${name} tls-verify`);
  const certDir = entry(entries, 'cert-dir');
  if (certDir) out.certDir = readString(yf, certDir.value, `${name} cert-dir`);
  return out;
}
