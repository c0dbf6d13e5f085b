/**
 * Token scopes of the distribution token protocol:
 * `resourcetype[(class)]:resourcename:action[,action…]`, e.g.
 * `repository:ns/app:pull,push` or `registry:catalog:*`. A token request may
 * carry several scopes; one token for all of them saves round trips, and a
 * cross-repository mount needs exactly that (push to the target, pull from
 * the source).
 */

export interface Scope {
  /** Resource type with its optional class, e.g. `repository` or `repository(plugin)`. */
  type: string;
  /** Resource name; for repositories the path without the registry host. */
  name: string;
  /** Actions such as `pull`, `push`, `delete`, `*`. */
  actions: string[];
}

/** The action that stands for all others. */
const ALL_ACTIONS = '*';

const TYPE_RE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/i;
const ACTION_RE = /^(?:\*|[a-z0-9_-]+)$/i;

/**
 * Parses one scope, or undefined when it breaks the grammar. The name is
 * whatever lies between the first and the last colon, so a resource name
 * that itself holds a colon survives.
 */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = text.slice(0, first);
  const name = text.slice(first + 1, last);
  const actions = text.slice(last + 1).split(',').filter((a) => a !== '');
  if (!TYPE_RE.test(type) || name === '' || actions.length === 0 || !actions.every((a) => ACTION_RE.test(a))) return undefined;
  return { type, name, actions };
}

/** The wire form of a scope, actions in canonical order. */
export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${canonicalActions(scope.actions).join(',')}`;
}

/** A repository scope: `repository:<repository>:<actions>`. */
export function repositoryScope(repository: string, actions: readonly string[]): Scope {
  return { type: 'repository', name: repository, actions: [...actions] };
}

/**
 * Merges scopes into the smallest equivalent list for one token request:
 * one scope per (type, name) with the union of actions, `*` absorbing the
 * rest, sorted so equal requests produce equal lists (and cache keys).
 * Strings that do not parse are kept verbatim (deduplicated): the server
 * may know better.
 */
export function mergeScopes(scopes: Iterable<Scope | string>): string[] {
  const merged = new Map<string, Scope>();
  const verbatim = new Set<string>();
  for (const item of scopes) {
    const scope = typeof item === 'string' ? parseScope(item) : item;
    if (scope === undefined) {
      if (typeof item === 'string' && item !== '') verbatim.add(item);
      continue;
    }
    const key = `${scope.type}:${scope.name}`;
    const prior = merged.get(key);
    merged.set(key, { ...scope, actions: prior === undefined ? [...scope.actions] : [...prior.actions, ...scope.actions] });
  }
  const out = [...merged.values()].map(formatScope).sort();
  return [...out, ...[...verbatim].sort()];
}

/**
 * The scopes for a cross-repository mount: push (and pull) on the target,
 * pull on the source, as one token request.
 */
export function mountScopes(targetRepository: string, sourceRepository: string): string[] {
  return mergeScopes([repositoryScope(targetRepository, ['pull', 'push']), repositoryScope(sourceRepository, ['pull'])]);
}

/** True when a token granted for `granted` also allows every action of `wanted`. */
export function scopesCover(granted: Iterable<Scope | string>, wanted: Iterable<Scope | string>): boolean {
  const have = new Map<string, Set<string>>();
  for (const item of granted) {
    const scope = typeof item === 'string' ? parseScope(item) : item;
    if (scope === undefined) continue;
    const key = `${scope.type}:${scope.name}`;
    const actions = have.get(key) ?? new Set<string>();
    for (const action of scope.actions) actions.add(action);
    have.set(key, actions);
  }
  for (const item of wanted) {
    const scope = typeof item === 'string' ? parseScope(item) : item;
    if (scope === undefined) return false;
    const actions = have.get(`${scope.type}:${scope.name}`);
    if (actions === undefined) return false;
    if (!actions.has(ALL_ACTIONS) && !scope.actions.every((a) => actions.has(a))) return false;
  }
  return true;
}

/** Deduplicated, sorted; `*` alone when present since it already means everything. */
function canonicalActions(actions: readonly string[]): string[] {
  if (actions.includes(ALL_ACTIONS)) return [ALL_ACTIONS];
  return [...new Set(actions)].sort();
}
