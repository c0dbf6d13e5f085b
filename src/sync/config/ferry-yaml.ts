import type { Node } from 'yaml';
import { checkRule } from './check-rule.ts';
import { expandEnv, type Environment } from './env-expand.ts';
import { parseFrom, parsePlatforms, parseTags, parseTo, type ParsedDestination } from './ferry-yaml-rules.ts';
import { looksLikeRegistry, parseBandwidth, splitRegistryPath } from './registry-options.ts';
import { Secret } from './secret.ts';
import type { ConfigWarning, Credentials, Destination, Origin, PlatformFilter, RegistryEntry, RegistryOptions, SourceRule, SyncDefaults, SyncSpec } from './sync-spec.ts';
import {
  checkKeys,
  configError,
  entry,
  isNull,
  nodeError,
  originOf,
  parseYamlFile,
  readBool,
  readInt,
  readMap,
  readPositiveNumber,
  readSecretText,
  readSeq,
  readString,
  root,
  type Entry,
  type YamlFile,
} from './yaml-reader.ts';

export interface FerryYamlOptions {
  /** For `${VAR}` in credentials. */
  env: Environment;
}

const TOP_KEYS = ['version', 'defaults', 'registries', 'sync'] as const;
const DEFAULT_KEYS = ['jobs', 'platforms', 'to', 'suffix'] as const;
const RULE_KEYS = ['from', 'tags', 'platforms', 'to', 'suffix'] as const;
const REGISTRY_KEYS = ['credentials', 'auth-file', 'tls-verify', 'cert-dir', 'max-concurrency', 'requests-per-second', 'bandwidth'] as const;
const CREDENTIAL_KEYS = ['username', 'password', 'token', 'identity-token'] as const;
const SUFFIX_RE = /^[A-Za-z0-9_.-]{1,127}$/;

interface RuleDefaults {
  platforms?: PlatformFilter;
  to?: ParsedDestination[];
  suffix?: string;
}

/**
 * Parses ferry's own sync file (documented in FORMAT.md): `registries:`
 * with per-registry credentials and limits, `defaults:`, and `sync:` rules
 * of `from`, `tags`, `platforms`, `to`, `suffix`. Everything is checked
 * before returning — unknown keys included, so typos fail loudly.
 *
 * @throws FerryError `INVALID_CONFIG` ("file:line: …").
 */
export function parseFerryYaml(text: string, file: string, options: FerryYamlOptions): SyncSpec {
  const yf = parseYamlFile(text, file);
  const top = root(yf);
  const warnings: ConfigWarning[] = [];
  if (isNull(top)) throw configError({ file, line: 1 }, 'the file is empty; expected registries:, defaults: and sync:');
  const fields = readMap(yf, top, 'the top level');
  checkKeys(yf, fields, TOP_KEYS, 'the top level');
  const version = entry(fields, 'version');
  if (version) readInt(yf, version.value, 'version', 1, 1, version.line);
  const registriesEntry = entry(fields, 'registries');
  const registries = registriesEntry && !isNull(registriesEntry.value) ? parseRegistries(yf, registriesEntry.value, options.env) : [];
  const defaults: SyncDefaults = {};
  const ruleDefaults: RuleDefaults = {};
  const defaultsEntry = entry(fields, 'defaults');
  if (defaultsEntry && !isNull(defaultsEntry.value)) {
    const d = readMap(yf, defaultsEntry.value, 'defaults');
    checkKeys(yf, d, DEFAULT_KEYS, 'defaults');
    const jobs = entry(d, 'jobs');
    if (jobs) defaults.jobs = readInt(yf, jobs.value, 'defaults.jobs', 1, 1024, jobs.line);
    const platforms = entry(d, 'platforms');
    if (platforms) ruleDefaults.platforms = parsePlatforms(yf, platforms);
    const to = entry(d, 'to');
    if (to) ruleDefaults.to = parseTo(yf, to);
    const suffix = entry(d, 'suffix');
    if (suffix) ruleDefaults.suffix = readSuffix(yf, suffix);
  }
  const syncEntry = entry(fields, 'sync');
  const items = syncEntry && !isNull(syncEntry.value) ? readSeq(yf, syncEntry.value, 'sync') : [];
  if (items.length === 0) warnings.push({ origin: { file, line: syncEntry?.line ?? 1 }, message: 'no sync rules; nothing to copy' });
  const sources = items.flatMap((item) => parseRule(yf, item, ruleDefaults, warnings));
  return { sources, registries, defaults, warnings };
}

function parseRule(yf: YamlFile, node: Node, defaults: RuleDefaults, warnings: ConfigWarning[]): SourceRule[] {
  const origin = originOf(yf, node);
  const fields = readMap(yf, node, 'a sync rule');
  checkKeys(yf, fields, RULE_KEYS, 'a sync rule');
  const from = entry(fields, 'from');
  if (!from) throw configError(origin, 'the rule has no from:');
  const sources = parseFrom(yf, from.value, from.line, warnings);
  const tags = parseTags(yf, entry(fields, 'tags'));
  const platformsEntry = entry(fields, 'platforms');
  const platforms = platformsEntry ? parsePlatforms(yf, platformsEntry) : (defaults.platforms ?? { kind: 'all' });
  const toEntry = entry(fields, 'to');
  const to = toEntry ? parseTo(yf, toEntry) : defaults.to;
  if (to === undefined) throw configError(origin, 'the rule has no to: (and defaults has none)');
  const suffixEntry = entry(fields, 'suffix');
  const suffix = suffixEntry ? readSuffix(yf, suffixEntry) : defaults.suffix;
  const destinations: Destination[] = to.map(({ explicitTag: _explicit, ...d }) => (suffix === undefined ? d : { ...d, suffix }));

  for (const d of to) {
    if (d.naming.mode !== 'explicit') continue;
    const only = sources.length === 1 ? sources[0]! : undefined;
    if (only === undefined || only.kind === 'catalog' || (only.kind === 'oci-layout' && only.repository === undefined)) {
      throw configError(d.origin, 'to.repository names one repository, but the rule reads several; use namespace (and flatten) instead');
    }
    const single = tags.kind === 'explicit' && tags.tags.length + tags.digests.length === 1;
    if (d.explicitTag && !single) {
      throw configError(d.origin, 'to.tag renames one image, but the rule selects several tags', 'list exactly one tag under tags:, or drop to.tag');
    }
  }
  if (sources.length === 0) return [];
  return sources.map((source) => {
    const rule: SourceRule = { source, tags, platforms, destinations, origin };
    checkRule(rule);
    return rule;
  });
}

function readSuffix(yf: YamlFile, e: Entry): string {
  const suffix = readString(yf, e.value, 'suffix', { at: e.line });
  if (!SUFFIX_RE.test(suffix)) throw nodeError(yf, e.value, `suffix "${suffix}" may only hold letters, digits, "_", "." and "-"`);
  return suffix;
}

function parseRegistries(yf: YamlFile, node: Node | null, env: Environment): RegistryEntry[] {
  const seen = new Map<string, number>();
  return readMap(yf, node, 'registries').map((e) => {
    const origin: Origin = { file: yf.file, line: e.line };
    const first = e.key.split('/')[0]!;
    const split = splitRegistryPath(e.key);
    if (!looksLikeRegistry(first) || 'problem' in split) {
      throw configError(origin, `invalid registry "${e.key}": ${'problem' in split ? split.problem : 'expected a host (with "." or ":", or localhost), optionally followed by /namespace'}`);
    }
    const scope = split.path === '' ? split.registry : `${split.registry}/${split.path}`;
    const before = seen.get(scope);
    if (before !== undefined) throw configError(origin, `registry ${scope} is already configured on line ${before}`);
    seen.set(scope, e.line);
    const fields = isNull(e.value) ? [] : readMap(yf, e.value, `registry ${e.key}`);
    checkKeys(yf, fields, REGISTRY_KEYS, `registry ${e.key}`);
    return { scope, options: registryOptions(yf, fields, e.key, env), origin };
  });
}

function registryOptions(yf: YamlFile, fields: Entry[], name: string, env: Environment): RegistryOptions {
  const out: RegistryOptions = {};
  const creds = entry(fields, 'credentials');
  if (creds) out.credentials = credentials(yf, creds, name, env);
  const authFile = entry(fields, 'auth-file');
  if (authFile) out.authFile = readString(yf, authFile.value, `${name} auth-file`, { at: authFile.line });
  const tls = entry(fields, 'tls-verify');
  if (tls) out.tlsVerify = readBool(yf, tls.value, `${name} tls-verify`, tls.line);
  const certDir = entry(fields, 'cert-dir');
  if (certDir) out.certDir = readString(yf, certDir.value, `${name} cert-dir`, { at: certDir.line });
  const maxConcurrency = entry(fields, 'max-concurrency');
  if (maxConcurrency) out.maxConcurrency = readInt(yf, maxConcurrency.value, `${name} max-concurrency`, 1, 1024, maxConcurrency.line);
  const rps = entry(fields, 'requests-per-second');
  if (rps) out.requestsPerSecond = readPositiveNumber(yf, rps.value, `${name} requests-per-second`, rps.line);
  const bandwidth = entry(fields, 'bandwidth');
  if (bandwidth) {
    const text = readString(yf, bandwidth.value, `${name} bandwidth`, { at: bandwidth.line });
    const rate = parseBandwidth(text);
    if (typeof rate === 'string') throw nodeError(yf, bandwidth.value, `${name} bandwidth: ${rate}`);
    out.bandwidth = rate;
  }
  return out;
}

function credentials(yf: YamlFile, e: Entry, name: string, env: Environment): Credentials {
  const fields = readMap(yf, e.value, `${name} credentials`, e.line);
  checkKeys(yf, fields, CREDENTIAL_KEYS, `${name} credentials`);
  const value = (key: string): string | undefined => {
    const f = entry(fields, key);
    if (!f) return undefined;
    return expandEnv(readSecretText(yf, f.value, `${name} credentials ${key}`, f.line), env, { file: yf.file, line: f.line });
  };
  const username = value('username');
  const password = value('password');
  const token = value('token');
  const identityToken = value('identity-token');
  const kinds = [username !== undefined || password !== undefined, token !== undefined, identityToken !== undefined].filter(Boolean).length;
  if (kinds !== 1) {
    throw configError({ file: yf.file, line: e.line }, `${name} credentials: give username and password, or token, or identity-token (exactly one kind)`);
  }
  if (token !== undefined) return { kind: 'token', token: new Secret(token) };
  if (identityToken !== undefined) return { kind: 'identity-token', token: new Secret(identityToken) };
  if (username === undefined || username === '') throw configError({ file: yf.file, line: e.line }, `${name} credentials: username is missing or empty`);
  if (password === undefined) throw configError({ file: yf.file, line: e.line }, `${name} credentials: password is missing`);
  return { kind: 'basic', username, password: new Secret(password) };
}
