import type { Trx } from '../store/db.js';
import { upsertNewer } from '../store/upsertNewer.js';
import { lockClause, runStatement } from '../store/statements.js';
import { emit } from '../store/events.js';
import type { TenantRow } from '../store/rows.js';
import type { TenantSyncBody } from '../marketplace/kitSchemas.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';
import { tombstoneTenant } from './tenantTombstone.js';
import { tenantDetail } from './queries.js';
import { kitEvent } from './directoryEvents.js';

/** What a tenant resend may change: anything else the same is no news. */
const SHOWN = ['tenant_code', 'name', 'domain_name', 'test_flag'] as const;

/**
 * tenantSync (spec §5.1): flag 1 add, 2 modify, 0 delete; idempotent by instance + tenant. The
 * stored row is read locked, so concurrent duplicates take turns and only the first finds news:
 * tenant.created (new, or deleted before), tenant.updated (a field changed), tenant.deleted.
 */
export async function tenantSync(trx: Trx, body: TenantSyncBody): Promise<SyncResult> {
  const key = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const result = syncResult(body, { flag: body.flag });
  const deleted = body.flag === 0;
  const sql = `SELECT * FROM tenants WHERE instance_id = ? AND tenant_id = ?${lockClause(trx, 'update')}`;
  const [stored] = (await runStatement<TenantRow>(trx, sql, [body.instanceId, body.tenantId])).rows;
  const stale = stored !== undefined && stored.source_ts > body.timeStamp;
  const live = stored !== undefined && !Number(stored.deleted);
  // A deletion's event shows the tenant as it was: read before anything under it ends.
  const lastState = !stale && deleted && live ? await tenantDetail(trx, stored) : undefined;
  if (!stale) {
    const row = { ...key, tenant_code: body.tenantCode, name: body.name, domain_name: body.domainName, ...syncStamp(body.timeStamp, body.testFlag, deleted) };
    await upsertNewer(trx, 'tenants', [row], ['instance_id', 'tenant_id']);
    const type = deleted ? undefined : !live ? 'tenant.created' : SHOWN.some((c) => String(stored[c]) !== String(row[c])) ? 'tenant.updated' : undefined;
    if (type) emit(trx, [kitEvent(body, body.timeStamp, type, await tenantDetail(trx, row))]);
  }
  let endedUnder = 0;
  if (deleted) {
    // Also when a re-add overtook this deletion: what was written before the deletion still ends.
    const ended = await tombstoneTenant(trx, key, body.timeStamp);
    result.detail.ended = ended;
    endedUnder = Object.values(ended).reduce((a, b) => a + b, 0);
    // Its apps, users and departments end with it: this one event says so for all of them.
    if (lastState) emit(trx, [kitEvent(body, body.timeStamp, 'tenant.deleted', lastState)]);
  }
  if (stale && endedUnder === 0) return { ...result, outcome: 'stale' };
  // The tenant's sessions end with it (after an overtaken deletion too: they may rest on what it ended).
  result.changes.push({ type: 'tenant', instanceId: body.instanceId, tenantId: body.tenantId, deleted });
  return result;
}
