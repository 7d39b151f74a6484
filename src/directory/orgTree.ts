import { invalidParam } from '../marketplace/resultCodes.js';
import type { Notice } from '../marketplace/action.js';
import { betweenStatements, turnTaker } from '../store/upsertNewer.js';

/** orgCode → parentCode (null for a top-level department). */
export type ParentMap = Map<string, string | null>;

/**
 * Finds a parent cycle in a department tree; returns it as codes (A, B, A) or undefined.
 * Parents that are not in the map (not yet synced) end a chain: children may precede parents.
 * A tree of 100,000 takes a tenth of a second or more: other requests get turns meanwhile.
 */
export async function findCycle(parents: ParentMap): Promise<string[] | undefined> {
  const done = new Set<string>();
  // One walk at a time: the codes on it, each with its place on the path.
  const onPath = new Map<string, number>();
  const path: string[] = [];
  const turn = turnTaker();
  for (const start of parents.keys()) {
    if (turn.due()) await betweenStatements();
    if (done.has(start)) continue;
    onPath.clear();
    path.length = 0;
    let code: string | null | undefined = start;
    while (code != null && parents.has(code) && !done.has(code)) {
      if (onPath.has(code)) return [...path.slice(onPath.get(code)), code];
      onPath.set(code, path.length);
      path.push(code);
      code = parents.get(code);
    }
    for (const c of path) done.add(c);
  }
  return undefined;
}

export function refuseCycle(field: string, cycle: string[] | undefined): void {
  if (cycle) throw invalidParam(`${field}: departments form a parent cycle (${cycle.join(' > ')})`);
}

/**
 * Paths like /root/child/leaf from the parent links; a missing parent starts the path. A department
 * whose ancestry loops (it is in a cycle, or below one) has no path yet: null, "unsettled". Only
 * `codes` and what they hang under are resolved (all by default), added to `paths` (the paths
 * already resolved in the same tree, when resolved a slice at a time).
 */
export function pathsOf(parents: ParentMap, codes: Iterable<string> = parents.keys(), paths = new Map<string, string | null>()): Map<string, string | null> {
  const resolve = (code: string) => {
    const chain: string[] = [];
    const seen = new Set<string>();
    let c: string | null | undefined = code;
    while (c != null && parents.has(c) && !paths.has(c) && !seen.has(c)) {
      seen.add(c);
      chain.push(c);
      c = parents.get(c);
    }
    // Stopped on a code of this very walk: a loop, so nothing on the walk has a settled path.
    let prefix: string | null = c != null && seen.has(c) ? null : c != null && paths.has(c) ? paths.get(c)! : '';
    for (const link of chain.reverse()) {
      prefix = prefix === null ? null : `${prefix}/${link}`;
      paths.set(link, prefix);
    }
  };
  for (const code of codes) if (!paths.has(code)) resolve(code);
  return paths;
}

/**
 * The path of `code` placed under `parentCode`, from the paths of the tree it hangs in (a deleted
 * department under its last parent): under a parent not in the tree it starts a path.
 */
export function pathUnder(paths: Map<string, string | null>, parentCode: string | null, code: string): string | null {
  const above = parentCode === null ? '' : paths.has(parentCode) ? paths.get(parentCode)! : '';
  return above === null ? null : `${above}/${code}`;
}

/** What a sync reports when the latest word of each department leaves its tree in a loop. */
export function cycleNotice(cycle: string[]): Notice {
  return { kind: 'department_cycle', message: 'department cycle stored: unsettled until a department in it moves again', fields: { cycle } };
}
