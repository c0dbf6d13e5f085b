import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir, untrackDir, type AfterHook } from './cleanup.ts';

/**
 * A fresh directory under os.tmpdir(). It is removed after the test when a
 * test context (or anything with `after`) is passed, and in any case when the
 * test process exits.
 */
export async function tempDir(prefix = 'ferry-test', t?: AfterHook): Promise<string> {
  const safe = prefix.replace(/[^A-Za-z0-9._-]/g, '-');
  const dir = await mkdtemp(join(tmpdir(), `${safe}-`));
  trackDir(dir);
  t?.after(() => removeTempDir(dir));
  return dir;
}

/** Removes a directory made by {@link tempDir} now (tried again a few times if a file appears in it meanwhile: ENOTEMPTY). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 100 });
  untrackDir(dir);
}
