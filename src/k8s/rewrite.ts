import { FerryError } from '../errors.ts';
import { pinDigest, type DigestPins } from './digest-pins.ts';
import { applyReplaceRules, orderRules, type ReplaceRule } from './replace-rules.ts';
import { parseResourceText, type ResourceFileError } from './resource-files.ts';
import { applyEdits, scalarEdit, type TextEdit } from './scalar-edit.ts';
import { scanResourceFile, type ImageUse } from './scan.ts';

/** One image field changed by a rewrite. */
export interface ImageChange {
  use: ImageUse;
  from: string;
  to: string;
  /** The replacement rule applied, if any (a change may be a digest pin only). */
  rule?: ReplaceRule | undefined;
  /** Whether the tag was replaced by a digest from the report. */
  pinned: boolean;
}

/** A file before and after the rewrite. */
export interface FileRewrite {
  file: string;
  original: string;
  updated: string;
  changes: ImageChange[];
  /** Parse errors: the broken documents are left as they are. */
  errors: ResourceFileError[];
}

export interface RewriteRules {
  /** `--replace` rules; ordered longest FROM first here. */
  rules?: readonly ReplaceRule[] | undefined;
  /** `--pin-digests`: tags replaced by the digests a sync recorded. */
  pins?: DigestPins | undefined;
}

/**
 * Rewrites the image fields `scan` finds in one file's text (pull specs only;
 * ImageStreamTag references are names, not registries). Pure: text in, text out.
 * Each value first goes through the replacement rules, then, if pins are
 * given, gets its tag pinned to a digest.
 *
 * @throws FerryError `USAGE` for conflicting rules.
 */
export function rewriteText(file: string, text: string, options: RewriteRules): FileRewrite {
  const rules = orderRules(options.rules ?? []);
  const resource = parseResourceText(file, text);
  const scanned = scanResourceFile(resource);
  const edits: TextEdit[] = [];
  const changes: ImageChange[] = [];
  for (const { field, use } of scanned.fields) {
    if (field.refKind !== 'DockerImage') continue;
    const replaced = applyReplaceRules(field.image, rules);
    let value = replaced?.image ?? field.image;
    const pinned = options.pins !== undefined ? pinDigest(value, options.pins, replaced !== undefined ? field.image : undefined) : undefined;
    if (pinned !== undefined) value = pinned;
    if (value === field.image) continue;
    // Each document is parsed from the whole text, so node ranges are file offsets.
    edits.push(scalarEdit(text, field.node, value));
    changes.push({ use, from: field.image, to: value, rule: replaced?.rule, pinned: pinned !== undefined });
  }
  const updated = applyEdits(text, edits);
  if (changes.length > 0) verify(file, updated, changes, resource.errors.length);
  return { file, original: text, updated, changes, errors: resource.errors };
}

// Reads the result back: every changed field must hold its new value and
// nothing may have become unparseable. A failure here is a bug, never a user error.
function verify(file: string, updated: string, changes: readonly ImageChange[], errorsBefore: number): void {
  const reread = parseResourceText(file, updated);
  if (reread.errors.length > errorsBefore) {
    throw new FerryError('UNSUPPORTED', `${file}: the rewritten text does not parse (${reread.errors[0]?.message ?? ''})`, {
      hint: 'the file was left unchanged; please report this with the file',
    });
  }
  const values = new Map<string, string>();
  for (const { use } of scanResourceFile(reread).fields) values.set(`${use.document}/${use.path}`, use.image);
  for (const change of changes) {
    const got = values.get(`${change.use.document}/${change.use.path}`);
    if (got !== change.to) {
      throw new FerryError('UNSUPPORTED', `${file}:${change.use.line}: rewriting ${change.use.path} to ${change.to} did not read back (got ${got ?? 'nothing'})`, {
        hint: 'the file was left unchanged; please report this with the file',
      });
    }
  }
}
