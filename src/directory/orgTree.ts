import { invalidParam } from '../marketplace/resultCodes.js';
import type { Notice } from '../marketplace/action.js';

/** orgCode → parentCode (null for a top-level department). */
export type ParentMap = Map<string, string | null>;

/**
 * A department tree on numbers: each code's number is its place in `codes`, and `parentOf` holds
 * its parent's number (-1 for none, or for a parent not in the tree: children may precede parents).
 * At 100,000 departments, looking codes up in sets and maps on every step of a walk cost several
 * times as much as walking arrays; built once, one tree serves the cycle check and the paths.
 */
export interface NumberedTree {
  codes: string[];
  index: Map<string, number>;
  parentOf: Int32Array;
}

/** The tree of these codes (each once) and their parents' codes (null: a top-level department), in the same order. */
export function numberedTree(codes: string[], parents: (string | null)[]): NumberedTree {
  const index = new Map<string, number>();
  for (let i = 0; i < codes.length; i++) index.set(codes[i]!, i);
  const parentOf = new Int32Array(codes.length);
  for (let i = 0; i < codes.length; i++) {
    const parent = parents[i];
    parentOf[i] = parent == null ? -1 : (index.get(parent) ?? -1);
  }
  return { codes, index, parentOf };
}

/** The tree of a parent map, in its order. */
export const treeOf = (parents: ParentMap) => numberedTree([...parents.keys()], [...parents.values()]);

/** Finds a parent cycle in a department tree; returns it as codes (A, B, A) or undefined. */
export function findCycle({ codes, parentOf }: NumberedTree): string[] | undefined {
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
 * whose ancestry loops (it is in a cycle, or below one) has no path yet: null, "unsettled".
 */
export function pathsOf(parents: ParentMap): Map<string, string | null> {
  const pathOf = pathResolver(treeOf(parents));
  const paths = new Map<string, string | null>();
  for (const code of parents.keys()) paths.set(code, pathOf(code));
  return paths;
}

/**
 * The path of one code at a time (as pathsOf says it), each walk stopping at a code an earlier
 * one resolved: for a full sync that asks for 100,000 paths between turns of the event loop.
 */
export function pathResolver({ codes, index, parentOf }: NumberedTree): (code: string) => string | null {
  // undefined until resolved; null: unsettled.
  const paths: (string | null | undefined)[] = new Array(codes.length);
  const onWalk = new Uint8Array(codes.length);
  const walk: number[] = [];
  return (code) => {
    const start = index.get(code);
    // A code not in the tree has no path of its own.
    if (start === undefined) return null;
    if (paths[start] !== undefined) return paths[start]!;
    walk.length = 0;
    let at = start;
    while (at !== -1 && paths[at] === undefined && onWalk[at] === 0) {
      onWalk[at] = 1;
      walk.push(at);
      at = parentOf[at]!;
    }
    // Stopped on a code of this very walk: a loop, so nothing on the walk has a settled path.
    let prefix: string | null = at === -1 ? '' : onWalk[at] === 1 ? null : paths[at]!;
    for (let i = walk.length - 1; i >= 0; i--) {
      const c = walk[i]!;
      prefix = prefix === null ? null : `${prefix}/${codes[c]}`;
      paths[c] = prefix;
      onWalk[c] = 0;
    }
    return paths[start]!;
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
