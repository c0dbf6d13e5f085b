/**
 * A small unified line diff (Myers' O((N+M)·D) algorithm) for `--dry-run`
 * previews. Rewrites change a few lines of a file, so D stays small; past
 * {@link MAX_EDIT_DISTANCE} the diff degrades to "remove all, add all"
 * rather than spend memory.
 */

/** Beyond this many changed lines the diff is not minimised (memory grows with D·(N+M)). */
export const MAX_EDIT_DISTANCE = 4000;
/** Unchanged lines shown around each change, as `diff -u`. */
export const DEFAULT_CONTEXT = 3;

type Op = { type: ' ' | '-' | '+'; line: string; a: number; b: number };

export interface DiffOptions {
  fromFile: string;
  toFile: string;
  context?: number | undefined;
}

/** `diff -u` style text for two versions of a file; empty when they are equal. */
export function unifiedDiff(before: string, after: string, options: DiffOptions): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a.lines, b.lines);
  const context = options.context ?? DEFAULT_CONTEXT;
  let out = `--- ${options.fromFile}\n+++ ${options.toFile}\n`;
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.type === ' ') {
      i++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change within reach.
    const start = Math.max(0, i - context);
    let end = i;
    let lastChange = i;
    while (end < ops.length && end - lastChange <= 2 * context) {
      if (ops[end]!.type !== ' ') lastChange = end;
      end++;
    }
    end = Math.min(ops.length, lastChange + context + 1);
    const hunk = ops.slice(start, end);
    const aLen = hunk.filter((op) => op.type !== '+').length;
    const bLen = hunk.filter((op) => op.type !== '-').length;
    const aStart = hunk.find((op) => op.type !== '+')?.a ?? hunk[0]!.a;
    const bStart = hunk.find((op) => op.type !== '-')?.b ?? hunk[0]!.b;
    out += `@@ -${range(aStart, aLen)} +${range(bStart, bLen)} @@\n`;
    for (const op of hunk) {
      out += `${op.type}${op.line}\n`;
      const last = op.type === '+' ? op.b === b.lines.length - 1 && b.noFinalNewline : op.a === a.lines.length - 1 && a.noFinalNewline;
      if (last) out += '\\ No newline at end of file\n';
    }
    i = end;
  }
  return out;
}

// Hunk ranges are 1-based; an empty range names the line before it.
function range(start0: number, length: number): string {
  const start = length === 0 ? start0 : start0 + 1;
  return length === 1 ? `${start}` : `${start},${length}`;
}

function splitLines(text: string): { lines: string[]; noFinalNewline: boolean } {
  if (text === '') return { lines: [], noFinalNewline: false };
  const lines = text.split('\n');
  const noFinalNewline = lines[lines.length - 1] !== '';
  if (!noFinalNewline) lines.pop();
  return { lines, noFinalNewline };
}

/** The edit script turning `a` into `b`; each op carries its 0-based position in a and b. */
export function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE) && !found; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[k - 1 + offset]! < v[k + 1 + offset]!) ? v[k + 1 + offset]! : v[k - 1 + offset]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = true;
        break;
      }
    }
  }
  if (!found) {
    return [...a.map((line, i) => ({ type: '-' as const, line, a: i, b: 0 })), ...b.map((line, j) => ({ type: '+' as const, line, a: n, b: j }))];
  }
  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const vd = trace[d]!;
    const k = x - y;
    const prevK = k === -d || (k !== d && vd[k - 1 + offset]! < vd[k + 1 + offset]!) ? k + 1 : k - 1;
    const prevX = vd[prevK + offset]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x--;
      y--;
      ops.push({ type: ' ', line: a[x]!, a: x, b: y });
    }
    if (d === 0) break;
    if (x === prevX) {
      y--;
      ops.push({ type: '+', line: b[y]!, a: x, b: y });
    } else {
      x--;
      ops.push({ type: '-', line: a[x]!, a: x, b: y });
    }
  }
  return ops.reverse();
}
