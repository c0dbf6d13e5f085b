import { FerryError } from '../errors.ts';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1000,
  kb: 1000,
  m: 1000 ** 2,
  mb: 1000 ** 2,
  g: 1000 ** 3,
  gb: 1000 ** 3,
  t: 1000 ** 4,
  tb: 1000 ** 4,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/**
 * Bytes from a size such as `4GiB`, `700MB`, `1.5 GiB` or a plain number of
 * bytes. Decimal units (kB, MB, GB, TB) are powers of 1000 and binary ones
 * (KiB, MiB, GiB, TiB) powers of 1024, as media are labelled; case is ignored.
 *
 * @throws FerryError `USAGE` naming `flag` when the text is not a positive size.
 */
export function parseSize(text: string, flag = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = m ? UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new FerryError('USAGE', `${flag}: "${text}" is not a size`, { hint: 'write e.g. 4GiB, 700MB, 512MiB or a number of bytes' });
  }
  const bytes = Math.floor(Number(m[1]) * unit);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new FerryError('USAGE', `${flag}: "${text}" must be a positive size`);
  return bytes;
}

/** A byte count for people: `512 B`, `1.5 MiB` (binary units, one decimal). */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
