import type { Trx } from '../store/db.js';
import type { SingleOrgSyncBody } from '../marketplace/kitSchemas.js';
import { invalidParam } from '../marketplace/resultCodes.js';
import { ancestry, writeDepartments } from './departments.js';
import { closesCycle, cycleNotice } from './orgTree.js';
import { isStale, syncResult, syncStamp, type SyncResult } from './syncResult.js';

/**
 * singleOrgSync (spec §5.4): one department added, changed (also moved) or deleted. A move is the
 * latest word on its row even when, with the other rows as they stand, it closes a cycle: an older
 * move of another department may still be on its way (calls overtake each other). So it is stored,
 * and the cycle reported; the tree settles when a department in it moves again.
 */
export async function singleOrgSync(trx: Trx, body: SingleOrgSyncBody): Promise<SyncResult> {
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const key = { ...tenantKey, org_code: body.orgCode };
  const deleted = body.flag === 0;
  const result = syncResult(body, { flag: body.flag, orgCode: body.orgCode });
  if (!deleted && body.parentCode === body.orgCode) throw invalidParam(`parentCode: department ${body.orgCode} cannot be its own parent`);
  if (await isStale(trx, 'departments', key, body.timeStamp)) return { ...result, outcome: 'stale' };
  let cycle: string[] | undefined;
  // The tree lock is held already (treeLockedFirst), so no concurrent move escapes this check.
  if (!deleted && body.parentCode) cycle = closesCycle(await ancestry(trx, tenantKey, [body.parentCode]), body.orgCode, body.parentCode);

  await writeDepartments(trx, [
    {
      ...key,
      org_name: body.orgName,
      parent_code: body.parentCode,
      ...syncStamp(body.timeStamp, body.testFlag, deleted),
    },
  ]);
  if (cycle) {
    result.detail.cycle = cycle;
    result.notice = cycleNotice(cycle);
  }
  return result;
}
