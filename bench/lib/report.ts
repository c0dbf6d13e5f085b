/**
 * Figures and markdown tables for benchmark output. Benchmarks print what
 * they measured; they never pass or fail on it.
 */

const MiB = 1024 * 1024;

/** Median of the finite values; NaN when there are none. */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function min(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : Math.min(...finite);
}

export function max(values: readonly number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : Math.max(...finite);
}

/** Seconds with sensible precision: `12.3 s`, `0.84 s`. */
export function secs(s: number): string {
  if (!Number.isFinite(s)) return 'n/a';
  return `${s >= 10 ? s.toFixed(1) : s.toFixed(2)} s`;
}

export function mib(m: number): string {
  return Number.isFinite(m) ? `${m.toFixed(0)} MiB` : 'n/a';
}

/** Bytes as MiB or GiB. */
export function bytes(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  return n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(2)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}

/** `a / b` to two decimals, e.g. the ferry/skopeo ratio. */
export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}` : 'n/a';
}

/** A markdown table; cells are printed as given, columns padded for reading in a terminal too. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}
