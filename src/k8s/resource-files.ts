import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { Document, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type YAMLMap } from 'yaml';
import { FerryError, throwIfAborted } from '../errors.ts';
import { readSmallFile } from '../util/regular-file.ts';
import { UNTRUSTED_YAML_OPTIONS, firstDuplicateKey } from '../util/yaml-duplicate-keys.ts';

/**
 * Reading exported Kubernetes resources (`kubectl get -o yaml`, `crane export`,
 * `oc adm inspect`): which files to read and how to parse them while keeping
 * every node's source position, so findings can name a line and rewrites can
 * touch exactly one scalar.
 */

/** File extensions read as resources; JSON is read by the YAML parser (YAML 1.2 is a JSON superset). */
export const RESOURCE_EXTENSIONS: readonly string[] = ['.yaml', '.yml', '.json'];

/**
 * Largest resource file read: the YAML tree takes ~30 times the text in
 * memory, so this keeps one file near 1 GiB; a larger export can be split
 * (one file per namespace or kind).
 */
export const MAX_RESOURCE_FILE_BYTES = 32 * 1024 * 1024;

/** Reads a resource file as text, refusing what is not a regular file or is over {@link MAX_RESOURCE_FILE_BYTES}. */
export async function readResourceText(file: string, options: WalkOptions = {}): Promise<string> {
  return (await readSmallFile(file, { what: 'resource file', maxBytes: MAX_RESOURCE_FILE_BYTES, signal: options.signal })).toString('utf8');
}

/** crane export writes resources it could not export here; they are error records, not resources. */
export const SKIPPED_DIRECTORY = 'failures';

/** A file that could not be parsed (or read); the rest of the input is still used. */
export interface ResourceFileError {
  file: string;
  /** 1-based; 0 when the error is not about a position (unreadable file). */
  line: number;
  column: number;
  message: string;
}

/** One parsed file: its text, its YAML documents with positions, and any parse errors. */
export interface ResourceFile {
  file: string;
  text: string;
  /** The documents of a multi-document stream, in order; documents with errors are left out. */
  documents: Document.Parsed[];
  /** Index of each entry of `documents` in the stream (documents with errors leave gaps). */
  documentIndexes: number[];
  lineCounter: LineCounter;
  errors: ResourceFileError[];
}

/** A Kubernetes object inside a document: the document itself, or an item of a `*List` kind. */
export interface ResourceObject {
  node: YAMLMap;
  /** Path from the document root to this object (`[]` or `['items', 3]`). */
  path: (string | number)[];
  kind: string;
  namespace?: string | undefined;
  name?: string | undefined;
}

export interface WalkOptions {
  signal?: AbortSignal | undefined;
}

/**
 * The resource files under `paths`, sorted: files given directly are taken
 * whatever their extension; directories are walked recursively for
 * `.yaml`/`.yml`/`.json` files, skipping hidden entries and `failures/`
 * folders (crane export's layout).
 *
 * @throws FerryError `IO` when a path does not exist or cannot be read.
 */
export async function listResourceFiles(paths: readonly string[], options: WalkOptions = {}): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    throwIfAborted(options.signal);
    const info = await stat(path).catch((cause: unknown) => {
      throw new FerryError('IO', `cannot read ${path}: ${describe(cause)}`, { cause });
    });
    if (info.isDirectory()) await walk(path, out, options);
    else out.push(path);
  }
  return out;
}

async function walk(dir: string, out: string[], options: WalkOptions): Promise<void> {
  throwIfAborted(options.signal);
  const entries = await readdir(dir, { withFileTypes: true }).catch((cause: unknown) => {
    throw new FerryError('IO', `cannot list ${dir}: ${describe(cause)}`, { cause });
  });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== SKIPPED_DIRECTORY) await walk(full, out, options);
    } else if (entry.isFile() && RESOURCE_EXTENSIONS.includes(extname(entry.name).toLowerCase())) {
      out.push(full);
    }
  }
}

/** Parses resource text; `file` only names it in errors. Never throws for bad content. */
export function parseResourceText(file: string, text: string): ResourceFile {
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, prettyErrors: false, ...UNTRUSTED_YAML_OPTIONS });
  const result: ResourceFile = { file, text, documents: [], documentIndexes: [], lineCounter, errors: [] };
  // An empty stream parses to an EmptyStream (an array with no documents).
  parsed.forEach((doc, index) => {
    const errors = doc.errors.map((error) => ({ at: error.pos[0], message: error.message }));
    const duplicate = firstDuplicateKey(doc);
    if (duplicate !== undefined) errors.push({ at: duplicate, message: 'Map keys must be unique' });
    if (errors.length > 0) {
      for (const error of errors.sort((a, b) => a.at - b.at)) {
        const pos = lineCounter.linePos(error.at);
        // prettyErrors is off, so the message has no "at line…" suffix or code frame.
        result.errors.push({ file, line: pos.line, column: pos.col, message: error.message });
      }
      return;
    }
    result.documents.push(doc);
    result.documentIndexes.push(index);
  });
  return result;
}

/**
 * Reads and parses one file. Unreadable files come back as a file with one
 * error rather than an exception, so a scan can go on.
 */
export async function loadResourceFile(file: string, options: WalkOptions = {}): Promise<ResourceFile> {
  throwIfAborted(options.signal);
  let text: string;
  try {
    text = await readResourceText(file, options);
  } catch (cause) {
    throwIfAborted(options.signal);
    return {
      file,
      text: '',
      documents: [],
      documentIndexes: [],
      lineCounter: new LineCounter(),
      errors: [{ file, line: 0, column: 0, message: `cannot read: ${describe(cause)}` }],
    };
  }
  return parseResourceText(file, text);
}

/**
 * The Kubernetes objects of a document: the root mapping when it has a `kind`,
 * and, for `List` kinds (`List`, `DeploymentList`, …), each item that has one.
 * Documents that are not mappings (comments only, scalars) have none.
 */
export function resourceObjects(doc: Document.Parsed): ResourceObject[] {
  const root = doc.contents;
  if (!isMap(root)) return [];
  const kind = scalarString(root.get('kind', true));
  if (kind === undefined) return [];
  const items = root.get('items', true);
  if (kind.endsWith('List') && isSeq(items)) {
    const out: ResourceObject[] = [];
    items.items.forEach((item, i) => {
      const object = isMap(item) ? describeObject(item, ['items', i]) : undefined;
      if (object) out.push(object);
    });
    return out;
  }
  const object = describeObject(root, []);
  return object ? [object] : [];
}

function describeObject(node: YAMLMap, path: (string | number)[]): ResourceObject | undefined {
  const kind = scalarString(node.get('kind', true));
  if (kind === undefined) return undefined;
  const metadata = node.get('metadata', true);
  const object: ResourceObject = { node, path, kind };
  if (isMap(metadata)) {
    object.namespace = scalarString(metadata.get('namespace', true));
    object.name = scalarString(metadata.get('name', true));
  }
  return object;
}

/** A scalar node's value when it is a non-empty string, else undefined. */
export function scalarString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' && node.value !== '' ? node.value : undefined;
}

function describe(cause: unknown): string {
  if (cause instanceof FerryError) return cause.message;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string') return cause.code;
  return cause instanceof Error ? cause.message : String(cause);
}
