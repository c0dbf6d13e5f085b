import { parse, type Scalar } from 'yaml';

/**
 * Replacing one scalar in YAML or JSON text without touching anything else:
 * the new value is written in the node's own style (plain, single or double
 * quoted) over exactly the source range of the old one, so comments, key
 * order, indentation and JSON-ness survive byte for byte.
 */

/** Replace `text.slice(start, end)` by `replacement`. */
export interface TextEdit {
  start: number;
  end: number;
  replacement: string;
}

/** The edit writing `value` in place of scalar `node` of `source`. */
export function scalarEdit(source: string, node: Scalar, value: string): TextEdit {
  const range = node.range;
  if (!range) throw new Error('scalar without a source range'); // parsed documents always have ranges
  const [start, end] = range;
  const old = source.slice(start, end);
  let replacement: string;
  switch (node.type) {
    case 'PLAIN':
      replacement = isSafePlain(value) ? value : JSON.stringify(value);
      break;
    case 'QUOTE_SINGLE':
      replacement = `'${value.replace(/'/g, "''")}'`;
      break;
    default:
      // Double quotes: JSON's escapes are valid YAML, so JSON stays JSON. Block
      // scalars (an image in `|` style is odd) become double-quoted too.
      replacement = JSON.stringify(value);
      if ((node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') && old.endsWith('\n')) replacement += '\n';
  }
  return { start, end, replacement };
}

// Conservative: the characters image references use, nothing YAML treats
// specially at the start, and a value that reads back as the same string.
function isSafePlain(value: string): boolean {
  if (!/^[A-Za-z0-9_./][A-Za-z0-9_./:@+$-]*$/.test(value)) return false;
  try {
    return parse(value) === value;
  } catch {
    return false;
  }
}

/**
 * Applies non-overlapping edits (any order). Edits with the same start are
 * applied once (an anchored scalar used through several aliases).
 */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const unique = new Map<number, TextEdit>();
  for (const edit of edits) unique.set(edit.start, edit);
  const sorted = [...unique.values()].sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.start < at) throw new Error(`overlapping edits at offset ${edit.start}`);
    out += text.slice(at, edit.start) + edit.replacement;
    at = edit.end;
  }
  return out + text.slice(at);
}
