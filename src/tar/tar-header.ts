import { FerryError } from '../errors.ts';

/**
 * Encoding of tar headers (POSIX ustar, with PAX records for long names).
 * Reading uses tar-stream; writing needs headers on their own because
 * {@link TarFileWriter} writes an entry's header after its data, once the
 * size (and, for layers decompressed on the way, the name) is known.
 */

export const BLOCK_SIZE = 512;

/** The largest size the 11 octal digits of a ustar size field can hold (8 GiB - 1). */
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarHeaderFields {
  name: string;
  size: number;
  /** '0' regular file, '5' directory, 'x' PAX extended header. */
  type: '0' | '5' | 'x';
  mode?: number | undefined;
  /** Seconds since the epoch; archives are reproducible with 0. */
  mtime?: number | undefined;
}

function writeString(block: Buffer, offset: number, length: number, value: string): void {
  block.write(value, offset, length, 'utf8');
}

function writeOctal(block: Buffer, offset: number, length: number, value: number): void {
  // length - 1 digits, then NUL, as GNU tar and Go's archive/tar write them.
  writeString(block, offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
}

/** Sizes past 8 GiB use the base-256 form (high bit set) that GNU tar, Go and tar-stream read. */
function writeSize(block: Buffer, size: number): void {
  if (size <= MAX_OCTAL_SIZE) {
    writeOctal(block, 124, 12, size);
    return;
  }
  let rest = BigInt(size);
  for (let i = 135; i > 124; i--) {
    block[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  block[124] = 0x80;
}

/** Splits a name into ustar's prefix (≤155 bytes) and name (≤100 bytes) at a slash, or undefined when it cannot. */
function splitName(name: string): { prefix: string; name: string } | undefined {
  if (Buffer.byteLength(name) <= 100) return { prefix: '', name };
  for (let i = name.indexOf('/'); i !== -1; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const rest = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(rest) <= 100 && rest !== '') return { prefix, name: rest };
  }
  return undefined;
}

/** Whether `name` fits a single ustar header (no PAX record needed). */
export function fitsUstar(name: string): boolean {
  // Non-ASCII names go through PAX, which is defined as UTF-8.
  return /^[\x20-\x7e]*$/.test(name) && splitName(name) !== undefined;
}

/** One 512-byte ustar header. The name must fit ({@link fitsUstar}) unless it is a PAX header's own name. */
export function encodeHeader(fields: TarHeaderFields): Buffer {
  const split = splitName(fields.name);
  if (!split) throw new FerryError('UNSUPPORTED', `tar entry name "${fields.name}" does not fit a ustar header`);
  if (!Number.isSafeInteger(fields.size) || fields.size < 0) throw new FerryError('UNSUPPORTED', `tar entry "${fields.name}": invalid size ${fields.size}`);
  const block = Buffer.alloc(BLOCK_SIZE);
  writeString(block, 0, 100, split.name);
  writeOctal(block, 100, 8, fields.mode ?? (fields.type === '5' ? 0o755 : 0o644));
  writeOctal(block, 108, 8, 0);
  writeOctal(block, 116, 8, 0);
  writeSize(block, fields.size);
  writeOctal(block, 136, 12, fields.mtime ?? 0);
  block.fill(0x20, 148, 156);
  writeString(block, 156, 1, fields.type);
  writeString(block, 257, 6, 'ustar\0');
  writeString(block, 263, 2, '00');
  writeString(block, 345, 155, split.prefix);
  let sum = 0;
  for (const byte of block) sum += byte;
  writeString(block, 148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

/** One PAX record `"<len> key=value\n"`, where len counts the whole record including its own digits. */
function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  const bodyLength = Buffer.byteLength(body);
  let length = bodyLength + String(bodyLength).length;
  // Adding the digits may add a digit (e.g. 98 + 2 = 100): recount once.
  length = bodyLength + String(length).length;
  return `${length}${body}`;
}

/**
 * The header blocks of an entry: a PAX extended header carrying the name when
 * it does not fit ustar, then the ustar header itself.
 */
export function encodeEntryHeaders(fields: TarHeaderFields): Buffer {
  if (fitsUstar(fields.name)) return encodeHeader(fields);
  const pax = Buffer.from(paxRecord('path', fields.name));
  const padding = (BLOCK_SIZE - (pax.length % BLOCK_SIZE)) % BLOCK_SIZE;
  // The ustar name is only a fallback for readers without PAX support.
  const fallback = `PaxHeaders/${fields.name.replace(/[^\x20-\x7e]/g, '_').slice(-80)}`;
  return Buffer.concat([
    encodeHeader({ name: fallback.slice(0, 100), size: pax.length, type: 'x' }),
    pax,
    Buffer.alloc(padding),
    encodeHeader({ ...fields, name: fields.name.replace(/[^\x20-\x7e]/g, '_').slice(-100) }),
  ]);
}

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function paddingFor(size: number): number {
  return (BLOCK_SIZE - (size % BLOCK_SIZE)) % BLOCK_SIZE;
}
