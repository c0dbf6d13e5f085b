import { throwIfAborted } from '../errors.ts';
import { findImageFields, formatPath, type ImageField, type ImageRefKind, type ImageRole } from './image-fields.ts';
import {
  listResourceFiles,
  loadResourceFile,
  resourceObjects,
  type ResourceFile,
  type ResourceFileError,
} from './resource-files.ts';

/** One place an image is used, as `ferry k8s scan` reports it. */
export interface ImageUse {
  file: string;
  /** 0-based index of the document in a multi-document file. */
  document: number;
  /** 1-based line and column of the value. */
  line: number;
  column: number;
  kind: string;
  namespace?: string | undefined;
  name?: string | undefined;
  /** e.g. `spec.template.spec.containers[0].image` (prefixed `items[3].` inside a List). */
  path: string;
  image: string;
  refKind: ImageRefKind;
  role: ImageRole;
}

export interface ScanResult {
  /** Every file read, in order. */
  files: string[];
  uses: ImageUse[];
  /** Files (or documents) that could not be parsed; everything else was still scanned. */
  errors: ResourceFileError[];
}

export interface ScanOptions {
  signal?: AbortSignal | undefined;
}

/** A parsed file with its image fields, for callers that go on to edit it. */
export interface ScannedFile {
  resource: ResourceFile;
  fields: { field: ImageField; use: ImageUse }[];
}

/** Finds the image fields of one parsed file. */
export function scanResourceFile(resource: ResourceFile): ScannedFile {
  const fields: ScannedFile['fields'] = [];
  resource.documents.forEach((doc, i) => {
    const document = resource.documentIndexes[i] ?? i;
    for (const object of resourceObjects(doc)) {
      for (const field of findImageFields(doc, object)) {
        const pos = resource.lineCounter.linePos(field.node.range?.[0] ?? 0);
        fields.push({
          field,
          use: {
            file: resource.file,
            document,
            line: pos.line,
            column: pos.col,
            kind: object.kind,
            namespace: object.namespace,
            name: object.name,
            path: formatPath(field.path),
            image: field.image,
            refKind: field.refKind,
            role: field.role,
          },
        });
      }
    }
  });
  return { resource, fields };
}

/**
 * Lists every image reference in the resources under `paths` (files or
 * directories; see {@link listResourceFiles} for what is read). Unparseable
 * files are reported in `errors` and do not stop the scan.
 *
 * @throws FerryError `IO` when a given path does not exist.
 */
export async function scanResources(paths: readonly string[], options: ScanOptions = {}): Promise<ScanResult> {
  const files = await listResourceFiles(paths, options);
  const result: ScanResult = { files, uses: [], errors: [] };
  for (const file of files) {
    throwIfAborted(options.signal);
    const resource = await loadResourceFile(file, options);
    result.errors.push(...resource.errors);
    for (const { use } of scanResourceFile(resource).fields) result.uses.push(use);
  }
  return result;
}
