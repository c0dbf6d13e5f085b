import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { FerryError } from '../../errors.ts';
import { UNTRUSTED_YAML_OPTIONS, firstDuplicateKey } from '../../util/yaml-duplicate-keys.ts';
import type { Origin } from './sync-spec.ts';

/**
 * Reads a YAML or JSON config file node by node, so every error can name the
 * file and line of the offending node. JSON goes through the same parser (it
 * is YAML 1.2 flow syntax). Values are read as the user wrote them: a plain
 * scalar `1.10` is the string "1.10", not the number 1.1 — tags like that are
 * common and a float would silently name another tag.
 */
export interface YamlFile {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
  /** Aliases left to resolve; bounds "billion laughs" documents. */
  aliasBudget: number;
}

/** A map entry with its key as text and the key's line. */
export interface Entry {
  key: string;
  value: Node | null;
  line: number;
}

/** The parser's own words for a repeated key. */
const DUPLICATE_KEY_MESSAGE = 'Map keys must be unique';

// Generous for hand-written files, small enough that alias expansion cannot blow up.
const MAX_ALIASES = 1000;

/**
 * Parses `text` as one YAML (or JSON) document.
 * @throws FerryError `INVALID_CONFIG` "FILE:LINE: …" on syntax errors, duplicate keys or several documents.
 */
export function parseYamlFile(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  // prettyErrors would append the offending source line, which may hold a password.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, ...UNTRUSTED_YAML_OPTIONS });
  const yf: YamlFile = { file, doc, lines, aliasBudget: MAX_ALIASES };
  const first = doc.errors[0];
  const duplicate = firstDuplicateKey(doc);
  if (duplicate !== undefined && (first === undefined || duplicate < first.pos[0])) {
    throw configError({ file, line: lines.linePos(duplicate).line }, describeYamlError('DUPLICATE_KEY', DUPLICATE_KEY_MESSAGE));
  }
  if (first) {
    const line = lines.linePos(first.pos[0]).line;
    throw configError({ file, line }, `${describeYamlError(first.code, first.message)}`);
  }
  return yf;
}

function describeYamlError(code: string, message: string): string {
  if (code === 'MULTIPLE_DOCS') return 'only one YAML document is allowed (remove the "---" separator)';
  const short = message.replace(/ at line \d+, column \d+.*$/s, '');
  return `${code === 'DUPLICATE_KEY' ? 'duplicate key' : 'invalid YAML'}: ${short}`;
}

/** A FerryError('INVALID_CONFIG') whose message starts with `file:line:`. */
export function configError(origin: Origin, message: string, hint?: string): FerryError {
  const where = origin.line > 0 ? `${origin.file}:${origin.line}` : origin.file;
  return new FerryError('INVALID_CONFIG', `${where}: ${message}`, { hint });
}

/**
 * The 1-based line where `node` starts; a number is taken as the line itself
 * (callers pass an entry's key line for a value that is missing).
 */
export function lineOf(yf: YamlFile, node: Node | null | undefined | number): number {
  if (typeof node === 'number') return node;
  const start = node?.range?.[0];
  return start === undefined ? 1 : yf.lines.linePos(start).line;
}

export function originOf(yf: YamlFile, node: Node | null | undefined | number): Origin {
  return { file: yf.file, line: lineOf(yf, node) };
}

/** An error at `node`. */
export function nodeError(yf: YamlFile, node: Node | null | undefined | number, message: string, hint?: string): FerryError {
  return configError(originOf(yf, node), message, hint);
}

/** Follows an alias to its target, counting against the file's alias budget. */
export function resolve(yf: YamlFile, node: Node | null | undefined): Node | null {
  if (node === null || node === undefined) return null;
  if (!isAlias(node)) return node;
  if (--yf.aliasBudget < 0) throw nodeError(yf, node, `more than ${MAX_ALIASES} aliases; refusing to expand`);
  const target = node.resolve(yf.doc);
  if (!target) throw nodeError(yf, node, `alias *${node.source} has no anchor`);
  return target as Node;
}

/** True for a missing value, `~`, `null` or an empty value (`key:`). */
export function isNull(node: Node | null): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** The document's top-level node. */
export function root(yf: YamlFile): Node | null {
  return resolve(yf, yf.doc.contents as Node | null);
}

/** The entries of a map; `what` names it in errors ("registry docker.io"). */
export function readMap(yf: YamlFile, node: Node | null, what: string, at?: Node | null | number): Entry[] {
  const n = resolve(yf, node);
  if (!isMap(n)) throw nodeError(yf, place(n, at), `${what} must be a mapping (key: value), not ${describe(n)}`);
  return n.items.map((pair) => {
    const keyNode = resolve(yf, pair.key as Node | null);
    if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
      throw nodeError(yf, keyNode ?? n, `${what}: keys must be plain strings`);
    }
    return { key: scalarText(keyNode), value: resolve(yf, pair.value as Node | null), line: lineOf(yf, keyNode) };
  });
}

/** The items of a sequence. */
export function readSeq(yf: YamlFile, node: Node | null, what: string, at?: Node | null | number): Node[] {
  const n = resolve(yf, node);
  if (!isSeq(n)) throw nodeError(yf, place(n, at), `${what} must be a list, not ${describe(n)}`);
  return n.items.map((item) => resolve(yf, item as Node | null) ?? n).filter((item): item is Node => item !== null);
}

/** True when `node` is a sequence (after aliases). */
export function isList(yf: YamlFile, node: Node | null): boolean {
  return isSeq(resolve(yf, node));
}

/** True when `node` is a map (after aliases). */
export function isMapping(yf: YamlFile, node: Node | null): boolean {
  return isMap(resolve(yf, node));
}

/**
 * A scalar as the text the user wrote (numbers and booleans included, so
 * tag `1.10` stays "1.10"). Empty strings are refused unless `allowEmpty`.
 */
export function readString(yf: YamlFile, node: Node | null, what: string, options: { allowEmpty?: boolean; at?: Node | null | number } = {}): string {
  const n = resolve(yf, node);
  if (!isScalar(n) || n.value === null) throw nodeError(yf, place(n, options.at), `${what} must be a string, not ${describe(n)}`);
  const text = scalarText(n);
  if (text === '' && !options.allowEmpty) throw nodeError(yf, n, `${what} must not be empty`);
  return text;
}

/** Like {@link readString} but for a secret: errors never echo the value. */
export function readSecretText(yf: YamlFile, node: Node | null, what: string, at?: Node | null | number): string {
  const n = resolve(yf, node);
  if (!isScalar(n) || n.value === null) throw nodeError(yf, place(n, at), `${what} must be a string`);
  return scalarText(n);
}

const TRUE_WORDS = new Set(['true', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', 'no', 'off']);

/** true/false (also yes/no/on/off, which skopeo's YAML 1.1 reader accepts). */
export function readBool(yf: YamlFile, node: Node | null, what: string, at?: Node | null | number): boolean {
  const n = resolve(yf, node);
  if (isScalar(n)) {
    if (typeof n.value === 'boolean') return n.value;
    const word = typeof n.value === 'string' ? n.value.toLowerCase() : '';
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
  }
  throw nodeError(yf, place(n, at), `${what} must be true or false, not ${describe(n, true)}`);
}

/** An integer within [min, max]. */
export function readInt(yf: YamlFile, node: Node | null, what: string, min: number, max: number, at?: Node | null | number): number {
  const n = resolve(yf, node);
  const value = isScalar(n) ? n.value : undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw nodeError(yf, place(n, at), `${what} must be an integer from ${min} to ${max}, not ${describe(n, true)}`);
  }
  return value;
}

/** A positive number (fractions allowed). */
export function readPositiveNumber(yf: YamlFile, node: Node | null, what: string, at?: Node | null | number): number {
  const n = resolve(yf, node);
  const value = isScalar(n) ? n.value : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw nodeError(yf, place(n, at), `${what} must be a positive number, not ${describe(n, true)}`);
  }
  return value;
}

/**
 * Refuses keys not in `allowed`, suggesting the closest known key (typos
 * otherwise silently disable a setting).
 */
export function checkKeys(yf: YamlFile, entries: Entry[], allowed: readonly string[], where: string): void {
  for (const entry of entries) {
    if (allowed.includes(entry.key)) continue;
    const guess = closest(entry.key, allowed);
    throw configError(
      { file: yf.file, line: entry.line },
      `unknown key "${entry.key}" in ${where}${guess ? ` (did you mean "${guess}"?)` : ''}`,
      `allowed keys: ${allowed.join(', ')}`,
    );
  }
}

/** The entry for `key`, if present. */
export function entry(entries: Entry[], key: string): Entry | undefined {
  return entries.find((e) => e.key === key);
}

/** Where to report a problem with `n`: its own position, or `at` when it is missing. */
function place(n: Node | null, at: Node | null | number | undefined): Node | null | number {
  return isNull(n) && at !== undefined && at !== null ? at : n;
}

function scalarText(n: { value: unknown; source?: string | undefined; type?: string | undefined }): string {
  if (typeof n.value === 'string') return n.value;
  // Plain numbers/booleans: the text as written ("1.10", "010"), not the parsed value.
  if (n.type === 'PLAIN' && typeof n.source === 'string') return n.source;
  return String(n.value);
}

/** A node's kind for messages; numbers and booleans verbatim only with `reveal` (where a number or boolean was expected). */
function describe(n: Node | null, reveal = false): string {
  if (n === null || (isScalar(n) && n.value === null)) return 'nothing';
  if (isMap(n)) return 'a mapping';
  if (isSeq(n)) return 'a list';
  // Strings by kind only, never their text: the value may be a password written in the wrong place.
  if (isScalar(n)) {
    if (typeof n.value === 'number') return reveal ? (n.source ?? String(n.value)) : 'a number';
    if (typeof n.value === 'boolean') return reveal ? String(n.value) : 'a boolean';
    return typeof n.value === 'string' ? 'a string' : 'a scalar';
  }
  return 'an unexpected node';
}

/** The allowed word within edit distance 2 of `word`, or one it abbreviates, if any. */
export function closest(word: string, allowed: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  if (lower.length >= 3) {
    const prefixed = allowed.find((a) => a.toLowerCase().startsWith(lower));
    if (prefixed !== undefined) return prefixed;
  }
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of allowed) {
    const d = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}
