import type { Trx } from '../store/db.js';
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

/** Would making `parentCode` the parent of `orgCode` close a cycle among the stored departments? */
export async function closesCycle(
  trx: Trx,
  tenantKey: Record<string, string>,
  orgCode: string,
  parentCode: string,
): Promise<string[] | undefined> {
  const chain = [parentCode, ...(await ancestorsOf(trx, tenantKey, parentCode))];
  const i = chain.indexOf(orgCode);
  return i < 0 ? undefined : [orgCode, ...chain.slice(0, i + 1)];
}

/** The parent of `code`, its parent, and so on, over live departments (bounded, should stored data already loop). */
async function ancestorsOf(trx: Trx, tenantKey: Record<string, string>, code: string): Promise<string[]> {
  const { instance_id, tenant_id } = tenantKey;
  const result = await trx.raw(
    `WITH RECURSIVE up(code, depth) AS (
       SELECT parent_code, 1 FROM departments
       WHERE instance_id = ? AND tenant_id = ? AND org_code = ? AND deleted = 0 AND parent_code IS NOT NULL
       UNION ALL
       SELECT d.parent_code, up.depth + 1 FROM departments d JOIN up ON d.org_code = up.code
       WHERE d.instance_id = ? AND d.tenant_id = ? AND d.deleted = 0 AND d.parent_code IS NOT NULL AND up.depth < 10000
     ) SELECT code FROM up ORDER BY depth`,
    [instance_id, tenant_id, code, instance_id, tenant_id],
  );
  const rows: { code: string }[] = Array.isArray(result[0]) ? result[0] : result;
  return rows.map((r) => r.code);
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
