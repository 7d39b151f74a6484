import type { Trx } from '../store/db.js';
import { guarded, type CallResult, type MarketplaceAction } from '../marketplace/action.js';
import { syncResult } from '../directory/syncResult.js';
import { lockClause, runStatement } from '../store/statements.js';
import { debugOnRealData } from './instanceCall.js';
import type { Flag, InstanceRow, TenantRow } from '../store/rows.js';

interface KitBody {
  instanceId: string;
  tenantId: string;
  testFlag: boolean;
}

/** The tenant row as a kit call's guard reads it. */
type GuardedTenant = Pick<TenantRow, 'deleted_ts' | 'test_flag'>;

/** A further rule on the tenant row, for the calls that write under a tenant: a result answers in the call's place. */
type TenantRule<B> = (body: B, tenant: GuardedTenant | undefined) => CallResult | undefined;

const nothingChanged = (body: KitBody, why: Record<string, unknown>): CallResult => ({ ...syncResult(body, why), outcome: 'stale' });

/**
 * Kit calls for a released instance answer success and change nothing, so a late or retried kit
 * call cannot bring a released instance's directory back. The shared lock makes a concurrent
 * release wait until this call has committed (and then delete what it wrote).
 * A debug call (testFlag 1) answers success and changes nothing when it names real data: an
 * instance real orders created, or a tenant real calls wrote. The seller may type any id into a
 * saved case, and dial-testing replays it forever (spec §7.8).
 * `tenantRule` is checked last; the instance and tenant rows are read in one statement.
 */
export function kitGuard<B extends KitBody = KitBody>(actions: Record<string, MarketplaceAction>, tenantRule?: TenantRule<B>): Record<string, MarketplaceAction> {
  return guarded<B>(actions, async (trx, body) => {
    const { instance, tenant } = await guardRows(trx, body, tenantRule !== undefined || body.testFlag);
    if (instance?.status === 'released') return nothingChanged(body, { instanceReleased: true, note: 'instance is released; nothing changed' });
    if (debugOnRealData(body, instance)) return nothingChanged(body, { debugRequest: 'the instance is real data; nothing changed' });
    if (body.testFlag && tenant !== undefined && !tenant.test_flag) return nothingChanged(body, { debugRequest: 'the tenant is real data; nothing changed' });
    return tenantRule?.(body, tenant);
  });
}

type GuardRow = { instance_found: number | null; status: InstanceRow['status'] | null; instance_test_flag: Flag | null; tenant_found: number | null; deleted_ts: string | null; tenant_test_flag: Flag | null };

/**
 * The call's instance (none for an empty id) and, when `withTenant`, its tenant, each read with a
 * shared lock: one statement for both, each a keyed lookup joined to a row that is always there.
 */
async function guardRows(trx: Trx, body: KitBody, withTenant: boolean): Promise<{ instance?: Pick<InstanceRow, 'status' | 'test_flag'>; tenant?: GuardedTenant }> {
  const withInstance = body.instanceId !== '';
  if (!withInstance && !withTenant) return {};
  const params: string[] = [];
  let sql = 'SELECT ';
  sql += withInstance ? 'i.instance_id IS NOT NULL AS instance_found, i.status, i.test_flag AS instance_test_flag' : 'NULL AS instance_found, NULL AS status, NULL AS instance_test_flag';
  sql += withTenant ? ', t.instance_id IS NOT NULL AS tenant_found, t.deleted_ts, t.test_flag AS tenant_test_flag' : ', NULL AS tenant_found, NULL AS deleted_ts, NULL AS tenant_test_flag';
  sql += ' FROM (SELECT 1 AS one) AS k';
  if (withInstance) {
    sql += ' LEFT JOIN instances AS i ON i.instance_id = ?';
    params.push(body.instanceId);
  }
  if (withTenant) {
    sql += ' LEFT JOIN tenants AS t ON t.instance_id = ? AND t.tenant_id = ?';
    params.push(body.instanceId, body.tenantId);
  }
  const [row] = (await runStatement<GuardRow>(trx, sql + lockClause(trx, 'share'), params)).rows;
  return {
    instance: row?.instance_found ? { status: row.status!, test_flag: row.instance_test_flag! } : undefined,
    tenant: row?.tenant_found ? { deleted_ts: row.deleted_ts, test_flag: row.tenant_test_flag! } : undefined,
  };
}
