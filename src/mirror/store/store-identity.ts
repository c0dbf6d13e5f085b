import { randomUUID } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { FerryError } from '../../errors.ts';
import type { LayoutStore } from '../../transports/layout/index.ts';
import { fsyncDir } from '../../util/fsync-dir.ts';

/**
 * `ferry-store.json`, beside a mirror store's index.json: the store's
 * identity, made once at random. Bundles name it as their `origin`, so the
 * inside can tell what one connected store listed from what another did.
 */
export const STORE_IDENTITY_FILE = 'ferry-store.json';

const IdentitySchema = z.object({ id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/) });

async function readIdentity(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new FerryError('IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new FerryError('CORRUPT', `${path} is not valid JSON`, { cause, hint: 'restore it; removing it makes this store a new origin for bundles' });
  }
  const parsed = IdentitySchema.safeParse(json);
  if (!parsed.success) throw new FerryError('CORRUPT', `${path}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data.id;
}

/** The store's identity, made and recorded on first use (two processes asking at once get the same one). */
export async function storeIdentity(store: LayoutStore): Promise<string> {
  const path = join(store.realDir, STORE_IDENTITY_FILE);
  const known = await readIdentity(path);
  if (known !== undefined) return known;
  const id = randomUUID();
  try {
    // Exclusive create: whoever writes first names the store; the other reads that.
    const fh = await open(path, 'wx', 0o644);
    try {
      await fh.writeFile(`${JSON.stringify({ id })}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fsyncDir(store.realDir);
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      const other = await readIdentity(path);
      if (other !== undefined) return other;
    }
    throw new FerryError('IO', `cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
