import type { Trx } from '../store/db.js';
import { upsertNewer } from '../store/upsertNewer.js';
import type { AllOrgSyncBody } from '../marketplace/kitSchemas.js';
import { findCycle, refuseCycle, type ParentMap } from './orgTree.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';

/**
 * allOrgSync (spec §5.5): a snapshot of the tenant's department tree. Every listed department is
 * upserted; every other department written by an older call is marked deleted. Rows written by a
 * newer call (a later singleOrgSync) keep what that call said.
 */
export async function allOrgSync(trx: Trx, body: AllOrgSyncBody): Promise<SyncResult> {
  const ts = body.timeStamp;
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const snapshot = new Map(body.departments.map((d) => [d.orgCode, d]));

  const newer = await trx('departments').where(tenantKey).andWhere('source_ts', '>', ts).select('org_code', 'parent_code', 'deleted');
  refuseCycle('orgInfoList', findCycle(treeAfterSync(snapshot, newer)));

  const newerCodes = new Set(newer.map((n) => n.org_code));
  const result = syncResult(body, { departments: snapshot.size, duplicates: body.departments.length - snapshot.size, stale: newer.length });
  if (snapshot.size > 0 && [...snapshot.keys()].every((c) => newerCodes.has(c))) result.outcome = 'stale';
  const base = { ...tenantKey, ...syncStamp(ts, body.testFlag, false) };
  await upsertNewer(
    trx,
    'departments',
    [...snapshot.values()].map((d) => ({ ...base, org_code: d.orgCode, org_name: d.orgName, parent_code: d.parentCode })),
    ['instance_id', 'tenant_id', 'org_code'],
  );
  // After the upsert every listed department carries ts or newer, so what is older was not listed.
  result.detail.removed = await trx('departments')
    .where(tenantKey)
    .andWhere('source_ts', '<', ts)
    .update({ deleted: 1, source_ts: ts });
  return result;
}

function treeAfterSync(
  snapshot: Map<string, { parentCode: string | null }>,
  newer: { org_code: string; parent_code: string | null; deleted: number | boolean }[],
): ParentMap {
  const parents: ParentMap = new Map([...snapshot].map(([code, d]) => [code, d.parentCode]));
  for (const n of newer) {
    if (n.deleted) parents.delete(n.org_code);
    else parents.set(n.org_code, n.parent_code);
  }
  return parents;
}
