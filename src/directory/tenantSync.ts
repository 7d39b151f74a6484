import type { Trx } from '../store/db.js';
import { upsertNewer } from '../store/upsertNewer.js';
import type { TenantSyncBody } from '../marketplace/kitSchemas.js';
import { isStale, syncResult, syncStamp, type SyncResult } from './syncResult.js';

/** tenantSync (spec §5.1): flag 1 add, 2 modify, 0 delete; idempotent by instance + tenant. */
export async function tenantSync(trx: Trx, body: TenantSyncBody): Promise<SyncResult> {
  const key = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const result = syncResult(body, { flag: body.flag });
  if (await isStale(trx, 'tenants', key, body.timeStamp)) return { ...result, outcome: 'stale' };

  const deleted = body.flag === 0;
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
  if (deleted) {
    // A deleted tenant keeps no usable credentials; its users and departments stay as history.
    const apps = await trx('apps')
      .where(key)
      .andWhere('source_ts', '<=', body.timeStamp)
      .update({ deleted: 1, client_secret: null, secret_padding: null, source_ts: body.timeStamp });
    result.detail.appsDeleted = apps;
  }
  result.changes.push({ type: 'tenant', instanceId: body.instanceId, tenantId: body.tenantId, deleted });
  return result;
}
