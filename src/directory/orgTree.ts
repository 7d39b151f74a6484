import { invalidParam } from '../marketplace/resultCodes.js';
import type { Notice } from '../marketplace/action.js';

/** orgCode → parentCode (null for a top-level department). */
export type ParentMap = Map<string, string | null>;

/**
 * Finds a parent cycle in a department tree; returns it as codes (A, B, A) or undefined.
 * Parents that are not in the map (not yet synced) end a chain: children may precede parents.
 * Each code gets a number and the walk runs on arrays of them: at 100,000 departments, looking
 * codes up in sets and maps on every step cost several times as much.
 */
export function findCycle(parents: ParentMap): string[] | undefined {
  const codes = [...parents.keys()];
  const index = new Map<string, number>();
  for (let i = 0; i < codes.length; i++) index.set(codes[i]!, i);
  // The number of each code's parent; -1 for none or one not in the map.
  const parentOf = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const parent = parents.get(codes[i]!);
    parentOf[i] = parent == null ? -1 : (index.get(parent) ?? -1);
  }
  // 0: not seen; 1: on the current walk; 2: its chain is known to end without a loop.
  const state = new Uint8Array(codes.length);
  const walk: number[] = [];
  for (let start = 0; start < codes.length; start++) {
    walk.length = 0;
    let at = start;
    while (at !== -1 && state[at] === 0) {
      state[at] = 1;
      walk.push(at);
      at = parentOf[at]!;
    }
    if (at !== -1 && state[at] === 1) return [...walk.slice(walk.indexOf(at)), at].map((i) => codes[i]!);
    for (const i of walk) state[i] = 2;
  }
  return undefined;
}

export function refuseCycle(field: string, cycle: string[] | undefined): void {
  if (cycle) throw invalidParam(`${field}: departments form a parent cycle (${cycle.join(' > ')})`);
}

/**
 * Paths like /root/child/leaf from the parent links; a missing parent starts the path. A department
 * whose ancestry loops (it is in a cycle, or below one) has no path yet: null, "unsettled". Only
 * `codes` and what they hang under are resolved (all by default).
 */
export function pathsOf(parents: ParentMap, codes: Iterable<string> = parents.keys()): Map<string, string | null> {
  const paths = new Map<string, string | null>();
  const pathOf = pathResolver(parents, paths);
  for (const code of codes) pathOf(code);
  return paths;
}

/**
 * The path of one code at a time (as pathsOf says it), each walk stopping at a code an earlier
 * one resolved: for a full sync that asks for 100,000 paths between turns of the event loop.
 */
export function pathResolver(parents: ParentMap, paths = new Map<string, string | null>()): (code: string) => string | null {
  const chain: string[] = [];
  const seen = new Set<string>();
  return (code) => {
    if (paths.has(code)) return paths.get(code)!;
    chain.length = 0;
    seen.clear();
    let c: string | null | undefined = code;
    while (c != null && parents.has(c) && !paths.has(c) && !seen.has(c)) {
      seen.add(c);
      chain.push(c);
      c = parents.get(c);
    }
    // Stopped on a code of this very walk: a loop, so nothing on the walk has a settled path.
    let prefix: string | null = c != null && seen.has(c) ? null : c != null && paths.has(c) ? paths.get(c)! : '';
    for (let i = chain.length - 1; i >= 0; i--) {
      prefix = prefix === null ? null : `${prefix}/${chain[i]}`;
      paths.set(chain[i]!, prefix);
    }
    // A code not in the tree has no path of its own.
    return paths.get(code) ?? null;
  };
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
