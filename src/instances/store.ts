import type { Db, Trx } from '../store/db.js';
import { NotFound } from '../errors.js';
import { insertOnce, lockClause, runStatement } from '../store/statements.js';
import type { InstanceStatus } from '../store/changes.js';
import type { InstanceRow } from '../store/rows.js';

export type { InstanceStatus };

/**
 * An instanceId with no row counts as active: the kit calls may come before any newInstance (the
 * seller's own credential application, debug data, data from before the lifecycle calls).
 */
export const statusOf = (row: Pick<InstanceRow, 'status'> | undefined): InstanceStatus => row?.status ?? 'active';

/** Status per instance; `lock` holds the rows until the transaction commits (a concurrent FREEZE waits). */
export async function instanceStatuses(db: Db | Trx, instanceIds: string[], lock = false): Promise<Map<string, InstanceStatus>> {
  const q = db('instances').whereIn('instance_id', instanceIds);
  if (lock) q.forShare();
  const rows: Pick<InstanceRow, 'instance_id' | 'status'>[] = await q.select('instance_id', 'status');
  return new Map(instanceIds.map((id) => [id, statusOf(rows.find((r) => r.instance_id === id))]));
}

/**
 * The instance row, locked until the call commits: 'update' for the lifecycle call that changes it,
 * 'share' for a kit call that only needs it not to be released meanwhile. (SQLite runs one
 * transaction at a time, so the locks are MySQL's only.)
 */
export async function lockedInstance(trx: Trx, instanceId: string, mode: 'update' | 'share'): Promise<InstanceRow | undefined> {
  return (await runStatement<InstanceRow>(trx, `SELECT * FROM instances WHERE instance_id = ?${lockClause(trx, mode)}`, [instanceId])).rows[0];
}

/**
 * The instance the merchant's application tells about (appInfo, usage), locked against a concurrent
 * release until the report commits; 404 when newInstance never created it, or it was released.
 */
export async function reportedInstance(trx: Trx, instanceId: string): Promise<InstanceRow> {
  const row = await lockedInstance(trx, instanceId, 'share');
  if (!row || row.status === 'released') throw new NotFound(`instance ${instanceId.slice(0, 64)} is unknown${row ? ' (released)' : ''}`);
  return row;
}

export interface Order {
  instanceId: string;
  kind: 'new' | 'refresh' | 'upgrade' | 'release';
  orderId: string;
  orderLineId: string;
  scene?: string;
  productId?: string | null;
  expireTime?: string;
  testFlag: boolean;
}

/** Records an order against its instance once; false when the same order was recorded before (a replay). */
export function recordOrder(trx: Trx, o: Order): Promise<boolean> {
  return insertOnce(trx, 'instance_orders', {
    instance_id: o.instanceId,
    kind: o.kind,
    order_id: o.orderId,
    order_line_id: o.orderLineId,
    scene: o.scene ?? null,
    product_id: o.productId ?? null,
    expire_time: o.expireTime ?? null,
    test_flag: o.testFlag ? 1 : 0,
    created_at: Date.now(),
  });
}

/** How many instances are in each status (the lifecycle calls' rows; a status none has is absent). */
export async function instanceCountsByStatus(db: Db): Promise<Partial<Record<InstanceStatus, number>>> {
  const rows: { status: InstanceStatus; n: number | string }[] = await db('instances').groupBy('status').select('status', db.raw('count(*) as n'));
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}
