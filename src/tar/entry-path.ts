import { posix } from 'node:path';
import { FerryError } from '../errors.ts';

/**
 * Normalises a tar entry name to a clean relative path (`./a//b/` → `a/b`),
 * or refuses it: absolute paths, `..` segments, NUL bytes and backslashes
 * could name a file outside the directory an archive is unpacked into.
 *
 * @throws FerryError `CORRUPT` naming the archive (`where`) and the entry.
 */
export function safeEntryPath(name: string, where: string): string {
  const refuse = (why: string): never => {
    throw new FerryError('CORRUPT', `${where}: refusing tar entry "${name}": ${why}`, {
      hint: 'the archive is damaged or crafted to write outside its directory; nothing was written outside the temporary directory',
    });
  };
  if (name.includes('\0')) refuse('it contains a NUL byte');
  if (name.includes('\\')) refuse('it contains a backslash');
  if (name.startsWith('/')) refuse('it is an absolute path');
  const segments = name.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) refuse('it contains ".."');
  const clean = segments.join('/');
  if (clean === '') refuse('it names the archive root');
  return clean;
}

/**
 * Resolves a path inside an archive (as written in a manifest or a symlink
 * target relative to `base`) to a clean relative path, or undefined when it
 * would leave the archive.
 */
export function resolveInArchive(path: string, base = ''): string | undefined {
  if (path.includes('\0')) return undefined;
  const joined = path.startsWith('/') ? path : posix.join(base, path);
  const normal = posix.normalize(`/${joined}`);
  // normalize on an absolute path never climbs above "/": climbing shows as a changed path only when ".." was present.
  const segments = joined.split('/').filter((s) => s !== '' && s !== '.');
  let depth = 0;
  for (const s of segments) {
    depth += s === '..' ? -1 : 1;
    if (depth < 0) return undefined;
  }
  const clean = normal.slice(1);
  return clean === '' ? undefined : clean;
}
