import type { Trx } from '../store/db.js';
import { upsertNewer } from '../store/upsertNewer.js';
import type { TenantSyncBody } from '../marketplace/kitSchemas.js';
import { isStale, syncResult, syncStamp, type SyncResult } from './syncResult.js';
import { tombstoneTenant } from './tenantTombstone.js';

/** tenantSync (spec §5.1): flag 1 add, 2 modify, 0 delete; idempotent by instance + tenant. */
export async function tenantSync(trx: Trx, body: TenantSyncBody): Promise<SyncResult> {
  const key = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const result = syncResult(body, { flag: body.flag });
  const deleted = body.flag === 0;
  const stale = await isStale(trx, 'tenants', key, body.timeStamp);
  if (!stale) {
    await upsertNewer(
      trx,
      'tenants',
      [
        {
          ...key,
          tenant_code: body.tenantCode,
          name: body.name,
          domain_name: body.domainName,
          ...syncStamp(body.timeStamp, body.testFlag, deleted),
        },
      ],
      ['instance_id', 'tenant_id'],
    );
  }
  let endedUnder = 0;
  if (deleted) {
    // Also when a re-add overtook this deletion: what was written before the deletion still ends.
    const ended = await tombstoneTenant(trx, key, body.timeStamp);
    result.detail.ended = ended;
    endedUnder = Object.values(ended).reduce((a, b) => a + b, 0);
  }
  if (stale && endedUnder === 0) return { ...result, outcome: 'stale' };
  // The tenant's sessions end with it (after an overtaken deletion too: they may rest on what it ended).
  result.changes.push({ type: 'tenant', instanceId: body.instanceId, tenantId: body.tenantId, deleted });
  return result;
}
