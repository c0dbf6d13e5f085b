import { cp, mkdir, mkdtemp, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackDir } from '../../test/helpers/cleanup.ts';

/**
 * A frozen copy of what a user of this checkout runs: bin/ferry, the compiled
 * dist/, package.json (module type) and scripts/node.sh, with node_modules and
 * the fetched Node linked, not copied. bin/ferry falls back to type-stripping
 * src/ whenever a .ts file is newer than the build; in a tree other people
 * are editing that happens within seconds, and a half-saved file then breaks
 * a run. The copy has no src/, so it always runs the build taken at its start.
 */

/** Copies the runnable parts of `root` into a temp dir; returns the copy's bin/ferry. */
export async function snapshotFerry(root: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-snapshot-'));
  trackDir(dir);
  await cp(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  await cp(join(root, 'bin'), join(dir, 'bin'), { recursive: true });
  await mkdir(join(dir, 'scripts'));
  await cp(join(root, 'scripts', 'node.sh'), join(dir, 'scripts', 'node.sh'));
  await cp(join(root, 'package.json'), join(dir, 'package.json'));
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'));
  // scripts/node.sh looks for a fetched Node in .cache/node when the machine's is too old.
  await symlink(join(root, '.cache'), join(dir, '.cache')).catch(() => undefined);
  return join(dir, 'bin', 'ferry');
}
