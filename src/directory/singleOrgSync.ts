import type { Trx } from '../store/db.js';
import { upsertNewer } from '../store/upsertNewer.js';
import type { SingleOrgSyncBody } from '../marketplace/kitSchemas.js';
import { closesCycle, refuseCycle } from './orgTree.js';
import { isStale, syncResult, syncStamp, type SyncResult } from './syncResult.js';

/** singleOrgSync (spec §5.4): one department added, changed (also moved) or deleted. */
export async function singleOrgSync(trx: Trx, body: SingleOrgSyncBody): Promise<SyncResult> {
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const key = { ...tenantKey, org_code: body.orgCode };
  const deleted = body.flag === 0;
  const result = syncResult(body, { flag: body.flag, orgCode: body.orgCode });
  if (await isStale(trx, 'departments', key, body.timeStamp)) return { ...result, outcome: 'stale' };
  if (!deleted && body.parentCode) refuseCycle('parentCode', await closesCycle(trx, tenantKey, body.orgCode, body.parentCode));

  await upsertNewer(
    trx,
    'departments',
    [
      {
        ...key,
        org_name: body.orgName,
        parent_code: body.parentCode,
        ...syncStamp(body.timeStamp, body.testFlag, deleted),
      },
    ],
    ['instance_id', 'tenant_id', 'org_code'],
  );
  return result;
}
