/**
 * Token scopes (`repository:NAME:pull,push`): building them for a repository, parsing the ones a
 * challenge names, and merging a set into one canonical, sorted list, which is both what the
 * token request sends and the key under which its token is cached.
 */

export type Action = 'pull' | 'push' | 'delete' | '*';

export interface Scope {
  /** `repository`, `registry`, `repository(plugin)`. */
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** `repository:NAME:ACTIONS` for one repository. */
export function repositoryScope(repository: string, actions: readonly Action[]): Scope {
  return { type: 'repository', name: repository, actions };
}

/** `type:name:a,b`. */
export function formatScope(scope: Scope): string {
  return `${scope.type}:${scope.name}:${scope.actions.join(',')}`;
}

/** Parses `type:name:actions` (the name may hold `:`); `undefined` when malformed. */
export function parseScope(text: string): Scope | undefined {
  const first = text.indexOf(':');
  const last = text.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const actions = text
    .slice(last + 1)
    .split(',')
    .filter((a) => a !== '');
  return { type: text.slice(0, first), name: text.slice(first + 1, last), actions };
}

/** One scope per resource with the union of its actions, sorted; empty scopes dropped. */
export function mergeScopes(scopes: readonly Scope[]): Scope[] {
  const byResource = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const scope of scopes) {
    if (scope.actions.length === 0) continue;
    const key = `${scope.type}:${scope.name}`;
    const entry = byResource.get(key) ?? { type: scope.type, name: scope.name, actions: new Set() };
    for (const action of scope.actions) entry.actions.add(action);
    byResource.set(key, entry);
  }
  return [...byResource.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, e]) => ({ type: e.type, name: e.name, actions: [...e.actions].sort() }));
}
