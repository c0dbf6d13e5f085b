import { isScalar, visit, type Document } from 'yaml';

/**
 * YAML parser options for input from outside: the parser's own duplicate-key
 * check compares each key with every earlier key of its map, so one map of
 * 100,000 keys takes minutes; {@link firstDuplicateKey} does the same check
 * in one pass instead.
 */
export const UNTRUSTED_YAML_OPTIONS = { uniqueKeys: false } as const;

/**
 * The source offset of the first key that repeats an earlier key of the same
 * map (equal scalar values, as the parser's own check), or undefined. Pass a
 * document parsed with {@link UNTRUSTED_YAML_OPTIONS}.
 */
export function firstDuplicateKey(doc: Document): number | undefined {
  let first: number | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const id = `${typeof pair.key.value}:${String(pair.key.value)}`;
        if (!seen.has(id)) {
          seen.add(id);
          continue;
        }
        const at = pair.key.range?.[0];
        if (at !== undefined && (first === undefined || at < first)) first = at;
        break;
      }
    },
  });
  return first;
}
