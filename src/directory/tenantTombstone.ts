import type { Knex } from 'knex';
import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import { syncResult } from './syncResult.js';
import type { TenantRow } from '../store/rows.js';

/**
 * A tenant's deletion is a tombstone for everything under it: its apps (and their secrets), users,
 * authorizations and departments written before it are marked deleted, and a call for the tenant
 * older than the deletion changes nothing, even once the tenant is added again. So a re-added
 * tenant starts with only what is synced after the re-add.
 */

type TenantKey = { instance_id: string; tenant_id: string };

/** Each table under a tenant: which of its rows are not yet deleted, and how a deleted one reads. */
const CHILDREN: { table: string; notDeleted: (q: Knex.QueryBuilder) => Knex.QueryBuilder; ended: Record<string, string | number | null> }[] = [
  { table: 'apps', notDeleted: (q) => q.where('deleted', 0), ended: { deleted: 1, client_secret: null, secret_padding: null } },
  { table: 'users', notDeleted: (q) => q.where('deleted', 0), ended: { deleted: 1 } },
  { table: 'user_apps', notDeleted: (q) => q.whereNot('state', 'deleted'), ended: { state: 'deleted' } },
  { table: 'departments', notDeleted: (q) => q.where('deleted', 0), ended: { deleted: 1 } },
];

/**
 * Records the tenant's deletion at `ts` and marks deleted what under it is not newer than that.
 * Also when a newer re-add is stored already: what the deletion ended stays ended. Returns how many
 * rows of each table it ended.
 */
export async function tombstoneTenant(trx: Trx, key: TenantKey, ts: string): Promise<Record<string, number>> {
  // The tenant row first: a kit call for this tenant holds it shared, so the two take their turns.
  await trx('tenants')
    .where(key)
    .andWhere((q) => q.whereNull('deleted_ts').orWhere('deleted_ts', '<', ts))
    .update({ deleted_ts: ts });
  const ended: Record<string, number> = {};
  const updated_at = Date.now();
  for (const c of CHILDREN) {
    ended[c.table] = await c.notDeleted(trx(c.table).where(key).andWhere('source_ts', '<=', ts)).update({ ...c.ended, source_ts: ts, updated_at });
  }
  return ended;
}

interface ChildBody {
  instanceId: string;
  tenantId: string;
  testFlag: boolean;
  timeStamp: string;
  /** authSync orders its rows by this rather than timeStamp. */
  currentSyncTime?: string;
}

/**
 * The calls under a tenant (apps, users, departments) answer success and change nothing when they
 * are not newer than the tenant's latest deletion, audited as stale. The kit guard reads the tenant
 * row shared (see kitGuard), so a concurrent deletion waits for this call and then ends what it wrote.
 */
export function unlessTenantDeleted(body: ChildBody, tenant: Pick<TenantRow, 'deleted_ts'> | undefined): CallResult | undefined {
  const deletedAt = tenant?.deleted_ts;
  if (!deletedAt || (body.currentSyncTime ?? body.timeStamp) > deletedAt) return undefined;
  return { ...syncResult(body, { tenantDeletedAt: deletedAt, note: 'the tenant was deleted after this call; nothing changed' }), outcome: 'stale' };
}
