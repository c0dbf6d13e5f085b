import { copyFile, mkdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { FerryError, throwIfAborted } from '../errors.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { unifiedDiff } from './line-diff.ts';
import { rewriteText, type FileRewrite, type RewriteRules } from './rewrite.ts';
import { listResourceFiles, readResourceText } from './resource-files.ts';

/** Where rewritten files go: nowhere (`--dry-run`), over the originals, or into a copy of the tree. */
export type RewriteOutput = { mode: 'dry-run' } | { mode: 'in-place' } | { mode: 'out'; dir: string };

export interface RewriteFilesOptions extends RewriteRules {
  output: RewriteOutput;
  signal?: AbortSignal | undefined;
}

export interface RewrittenFile extends FileRewrite {
  /** Where the file was (or, in a dry run, would be) written; undefined when nothing is written. */
  target?: string | undefined;
}

export interface RewriteFilesResult {
  files: RewrittenFile[];
}

/**
 * Rewrites the image references of every resource file under `paths`.
 * `out` mode writes every resource file read (changed or not, broken ones
 * as they are) to DIR, keeping paths relative to the directory given (or the
 * base name of a file given directly), so DIR is a complete tree to apply.
 * `in-place` replaces only changed files, each atomically (temporary file and
 * rename). `dry-run` writes nothing.
 *
 * @throws FerryError `IO` on read/write failure; `USAGE` when two inputs map to one output path.
 */
export async function rewriteResources(paths: readonly string[], options: RewriteFilesOptions): Promise<RewriteFilesResult> {
  const jobs: { file: string; target?: string | undefined }[] = [];
  const targets = new Map<string, string>();
  for (const path of paths) {
    const info = await stat(path).catch((cause: unknown) => {
      throw new FerryError('IO', `cannot read ${path}`, { cause });
    });
    for (const file of await listResourceFiles([path], options)) {
      let target: string | undefined;
      if (options.output.mode === 'out') {
        target = join(options.output.dir, info.isDirectory() ? relative(path, file) : basename(file));
        const other = targets.get(target);
        if (other !== undefined && other !== file) {
          throw new FerryError('USAGE', `${other} and ${file} would both be written to ${target}`, { hint: 'rewrite them into separate --out directories' });
        }
        targets.set(target, file);
      } else if (options.output.mode === 'in-place') {
        target = file;
      }
      jobs.push({ file, target });
    }
  }

  const files: RewrittenFile[] = [];
  for (const job of jobs) {
    throwIfAborted(options.signal);
    const text = await readResourceText(job.file, options);
    const rewrite = rewriteText(job.file, text, options);
    files.push({ ...rewrite, target: job.target });
  }

  // Write only after every file has been rewritten and verified: a bad input stops the run before anything changes.
  for (const file of files) {
    throwIfAborted(options.signal);
    if (file.target === undefined || options.output.mode === 'dry-run') continue;
    if (file.changes.length === 0) {
      // Unchanged files are copied as bytes, so even text that is not UTF-8 survives.
      if (options.output.mode === 'out') await copyInto(file.file, file.target);
      continue;
    }
    await writeAtomically(file.target, file.updated);
  }
  return { files };
}

async function copyInto(source: string, target: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
    await copyFile(source, target);
  } catch (cause) {
    throw new FerryError('IO', `cannot write ${target}`, { cause });
  }
}

/** Replaces `target`, keeping the mode of the file it replaces. */
async function writeAtomically(target: string, content: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (cause) {
    throw new FerryError('IO', `cannot write ${target}`, { cause });
  }
  const mode = await stat(target).then((s) => s.mode & 0o777, () => undefined);
  await writeFileAtomic(target, content, { mode });
}

/** Per-file summary: each change with its line, object and path, then totals. */
export function formatRewriteSummary(result: RewriteFilesResult): string {
  let out = '';
  let changed = 0;
  let total = 0;
  for (const file of result.files) {
    total += file.changes.length;
    for (const error of file.errors) out += `error: ${file.file}:${error.line}:${error.column}: ${error.message} (left unchanged)\n`;
    if (file.changes.length === 0) continue;
    changed++;
    const where = file.target !== undefined && file.target !== file.file ? ` -> ${file.target}` : '';
    out += `${file.file}${where}: ${file.changes.length} image reference${file.changes.length === 1 ? '' : 's'} rewritten\n`;
    for (const change of file.changes) {
      const u = change.use;
      const object = `${u.kind} ${u.namespace !== undefined ? `${u.namespace}/` : ''}${u.name ?? ''}`;
      out += `  line ${u.line}  ${object}  ${u.path}\n    ${change.from} -> ${change.to}${change.pinned ? ' (pinned)' : ''}\n`;
    }
  }
  out += `${total} image reference${total === 1 ? '' : 's'} rewritten in ${changed} of ${result.files.length} file${result.files.length === 1 ? '' : 's'}\n`;
  return out;
}

/** `--dry-run`: a unified diff of every file that would change. */
export function formatRewriteDiff(result: RewriteFilesResult): string {
  return result.files
    .filter((f) => f.changes.length > 0)
    .map((f) => unifiedDiff(f.original, f.updated, { fromFile: `a/${f.file}`, toFile: `b/${f.target ?? f.file}` }))
    .join('');
}
