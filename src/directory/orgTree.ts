import { invalidParam } from '../marketplace/resultCodes.js';

/** orgCode → parentCode (null for a top-level department). */
export type ParentMap = Map<string, string | null>;

/**
 * Finds a parent cycle in a department tree; returns it as codes (A, B, A) or undefined.
 * Parents that are not in the map (not yet synced) end a chain: children may precede parents.
 */
export function findCycle(parents: ParentMap): string[] | undefined {
  const done = new Set<string>();
  for (const start of parents.keys()) {
    if (done.has(start)) continue;
    const onPath = new Map<string, number>();
    const path: string[] = [];
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
 * Would making `parentCode` the parent of `orgCode` close a cycle? `parents` holds the stored
 * links from `parentCode` up (see ancestry); the cycle is returned as codes (A, B, A).
 */
export function closesCycle(parents: ParentMap, orgCode: string, parentCode: string): string[] | undefined {
  const chain = new Set<string>();
  for (let c: string | null | undefined = parentCode; c != null && !chain.has(c); c = parents.get(c)) {
    chain.add(c);
    if (c === orgCode) return [orgCode, ...chain];
  }
  return undefined;
}

/** Paths like /root/child/leaf from the parent links; a missing parent starts the path. */
export function pathsOf(parents: ParentMap): Map<string, string> {
  const paths = new Map<string, string>();
  const resolve = (code: string): string => {
    const known = paths.get(code);
    if (known !== undefined) return known;
    const chain: string[] = [];
    const seen = new Set<string>();
    let c: string | null | undefined = code;
    while (c != null && parents.has(c) && !paths.has(c) && !seen.has(c)) {
      seen.add(c);
      chain.push(c);
      c = parents.get(c);
    }
    let prefix = c != null && paths.has(c) ? paths.get(c)! : '';
    for (const link of chain.reverse()) {
      prefix = `${prefix}/${link}`;
      paths.set(link, prefix);
    }
    return paths.get(code)!;
  };
  for (const code of parents.keys()) resolve(code);
  return paths;
}
