import type { FlattenLevel } from '../config/sync-spec.ts';

/**
 * Harbor's destination naming for replication (`dest_namespace` +
 * `dest_namespace_replace_count`), for source repository `a/b/c/image` and
 * namespace `ns`:
 *
 * | level | result          |
 * |-------|-----------------|
 * | -1    | ns/image        |
 * | 0     | ns/a/b/c/image  |
 * | 1     | ns/b/c/image    |
 * | 2     | ns/c/image      |
 * | 3     | ns/image        |
 *
 * An empty namespace leaves the repository unchanged at any level.
 *
 * @throws RangeError when the level cannot apply: the source has fewer than
 * level + 1 path elements (Harbor refuses those too). Callers add the rule's origin.
 */
export function flattenRepository(repository: string, namespace: string, level: FlattenLevel): string {
  if (namespace === '') return repository;
  const parts = repository.split('/');
  const name = parts[parts.length - 1]!;
  const dirs = parts.slice(0, -1);
  if (level < 0) return `${namespace}/${name}`;
  if (level > dirs.length) {
    throw new RangeError(
      `repository "${repository}" has ${dirs.length} path element(s) before its name, fewer than flattening level ${level} removes`,
    );
  }
  return [namespace, ...dirs.slice(level), name].join('/');
}
