import type { Trx } from '../store/db.js';
import { guarded, type CallResult, type MarketplaceAction } from '../marketplace/action.js';
import { syncResult } from '../directory/syncResult.js';
import { lockedInstance } from './store.js';
import { lockClause, runStatement } from '../store/statements.js';
import { debugOnRealData } from './instanceCall.js';
import type { TenantRow } from '../store/rows.js';

interface KitBody {
  instanceId: string;
  tenantId: string;
  testFlag: boolean;
}

const nothingChanged = (body: KitBody, why: Record<string, unknown>): CallResult => ({ ...syncResult(body, why), outcome: 'stale' });

/**
 * Kit calls for a released instance answer success and change nothing, so a late or retried kit
 * call cannot bring a released instance's directory back. The shared lock makes a concurrent
 * release wait until this call has committed (and then delete what it wrote).
 * A debug call (testFlag 1) answers success and changes nothing when it names real data: an
 * instance real orders created, or a tenant real calls wrote. The seller may type any id into a
 * saved case, and dial-testing replays it forever (spec §7.8).
 */
export function kitGuard(actions: Record<string, MarketplaceAction>): Record<string, MarketplaceAction> {
  return guarded<KitBody>(actions, async (trx, body) => {
    const instance = body.instanceId === '' ? undefined : await lockedInstance(trx, body.instanceId, 'share');
    if (instance?.status === 'released') return nothingChanged(body, { instanceReleased: true, note: 'instance is released; nothing changed' });
    if (debugOnRealData(body, instance)) return nothingChanged(body, { debugRequest: 'the instance is real data; nothing changed' });
    if (body.testFlag && (await realTenant(trx, body))) return nothingChanged(body, { debugRequest: 'the tenant is real data; nothing changed' });
    return undefined;
  });
}

async function realTenant(trx: Trx, body: KitBody): Promise<boolean> {
  const sql = `SELECT test_flag FROM tenants WHERE instance_id = ? AND tenant_id = ?${lockClause(trx, 'share')}`;
  const [row] = (await runStatement<Pick<TenantRow, 'test_flag'>>(trx, sql, [body.instanceId, body.tenantId])).rows;
  return row !== undefined && !row.test_flag;
}
