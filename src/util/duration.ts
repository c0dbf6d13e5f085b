import { FerryError } from '../errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * A duration as Go and Kubernetes write them — `90s`, `15m`, `1h30m`,
 * `500ms`, `0` — in milliseconds; a bare number is seconds. `flag` names the
 * option in the error.
 *
 * @throws FerryError `USAGE` for anything else.
 */
export function parseDuration(text: string, flag: string): number {
  const trimmed = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let end = 0;
  for (let m = part.exec(trimmed); m; m = part.exec(trimmed)) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    end = part.lastIndex;
  }
  if (trimmed === '' || end !== trimmed.length) {
    throw new FerryError('USAGE', `${flag}: "${text}" is not a duration`, { hint: 'write e.g. 0, 90s, 15m, 1h30m or 500ms' });
  }
  return Math.round(total);
}

/** `1h30m`, `15m`, `2s`, `250ms`: a duration for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}
