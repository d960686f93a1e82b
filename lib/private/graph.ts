/** A directed acyclic graph's nodes grouped into levels: every node comes after all its dependencies. */
export interface Levels<T> {
  readonly levels: T[][];
}

/**
 * Finds a cycle among `nodes` (edges from a node to its dependencies), returned as the path that closes it
 * (`[a, b, c, a]`), or undefined when there is none.
 */
export function findCycle<T>(nodes: readonly T[], deps: (n: T) => readonly T[]): T[] | undefined {
  const state = new Map<T, 'visiting' | 'done'>();
  const stack: T[] = [];
  const visit = (n: T): T[] | undefined => {
    if (state.get(n) === 'done') {
      return undefined;
    }
    if (state.get(n) === 'visiting') {
      return [...stack.slice(stack.indexOf(n)), n];
    }
    state.set(n, 'visiting');
    stack.push(n);
    for (const d of deps(n)) {
      const cycle = visit(d);
      if (cycle) {
        return cycle;
      }
    }
    stack.pop();
    state.set(n, 'done');
    return undefined;
  };
  for (const n of nodes) {
    const cycle = visit(n);
    if (cycle) {
      return cycle;
    }
  }
  return undefined;
}

/**
 * Groups an acyclic graph into levels by longest path from a root: level 0 has no dependencies, level k depends
 * only on levels below k. Nodes of one level can run in parallel. Order within a level follows `nodes`.
 */
export function levelsOf<T>(nodes: readonly T[], deps: (n: T) => readonly T[]): T[][] {
  const depth = new Map<T, number>();
  const depthOf = (n: T): number => {
    const known = depth.get(n);
    if (known !== undefined) {
      return known;
    }
    const d = Math.max(-1, ...deps(n).map(depthOf)) + 1;
    depth.set(n, d);
    return d;
  };
  const levels: T[][] = [];
  for (const n of nodes) {
    const d = depthOf(n);
    (levels[d] ??= []).push(n);
  }
  return levels.filter((l) => l !== undefined);
}
