import type { Trx } from '../store/db.js';
import type { SingleOrgSyncBody } from '../marketplace/kitSchemas.js';
import { invalidParam } from '../marketplace/resultCodes.js';
import { hasLiveChildren, lockedAncestors, writeDepartment } from './departments.js';
import { cycleNotice } from './orgTree.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';

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
  const { stale, read } = await writeDepartment(trx, tenantKey, {
    ...key,
    org_name: body.orgName,
    parent_code: body.parentCode,
    ...syncStamp(body.timeStamp, body.testFlag, deleted),
  });
  if (stale) return { ...result, outcome: 'stale' };
  // Written first, then the walk up from the new parent: reaching this department means a cycle.
  // Only a department with children can be reached (a new one mostly has none): others skip it.
  if (!deleted && body.parentCode && (await hasLiveChildren(trx, tenantKey, body.orgCode))) {
    const chain = await lockedAncestors(trx, tenantKey, body.parentCode, body.orgCode, read);
    if (chain.at(-1) === body.orgCode) {
      const cycle = [body.orgCode, ...chain];
      result.detail.cycle = cycle;
      result.notice = cycleNotice(cycle);
    }
  }
  return result;
}
