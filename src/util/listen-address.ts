import { FerryError } from '../errors.ts';

/**
 * Splits a listen address — `HOST:PORT`, `[IPv6]:PORT`, or `:PORT` for all
 * interfaces — as `flag` gave it.
 *
 * @throws FerryError `USAGE` naming the flag for anything else.
 */
export function parseListenAddress(addr: string, flag: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(addr);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new FerryError('USAGE', `invalid ${flag} "${addr}": expected HOST:PORT, [IPv6]:PORT or :PORT`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}
