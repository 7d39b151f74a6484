import type { Trx } from '../store/db.js';
import type { SingleOrgSyncBody } from '../marketplace/kitSchemas.js';
import { ancestry, writeDepartments } from './departments.js';
import { closesCycle, refuseCycle } from './orgTree.js';
import { isStale, syncResult, syncStamp, type SyncResult } from './syncResult.js';

/** singleOrgSync (spec §5.4): one department added, changed (also moved) or deleted. */
export async function singleOrgSync(trx: Trx, body: SingleOrgSyncBody): Promise<SyncResult> {
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const key = { ...tenantKey, org_code: body.orgCode };
  const deleted = body.flag === 0;
  const result = syncResult(body, { flag: body.flag, orgCode: body.orgCode });
  if (await isStale(trx, 'departments', key, body.timeStamp)) return { ...result, outcome: 'stale' };
  if (!deleted && body.parentCode) {
    const parents = await ancestry(trx, tenantKey, [body.parentCode]);
    refuseCycle('parentCode', closesCycle(parents, body.orgCode, body.parentCode));
  }

  await writeDepartments(trx, [
    {
      ...key,
      org_name: body.orgName,
      parent_code: body.parentCode,
      ...syncStamp(body.timeStamp, body.testFlag, deleted),
    },
  ]);
  return result;
}
