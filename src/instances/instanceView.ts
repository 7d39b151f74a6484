import { bool, type Db } from '../store/db.js';
import { listTenants } from '../directory/queries.js';
import { statusOf } from './store.js';
import type { InstanceOrderRow, InstanceRow } from '../store/rows.js';
import type { InstanceView } from './viewSchemas.js';

/** "yyyyMMddHHmmssSSS" (UTC) as ISO 8601. */
const isoOf = (time: string | null) => time?.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/, '$1-$2-$3T$4:$5:$6.$7Z') ?? null;

/** The merchant's view of one instance: lifecycle status (see statusOf), expiry, orders and tenants. */
export async function instanceView(db: Db, instanceId: string): Promise<InstanceView | undefined> {
  const row: InstanceRow | undefined = await db('instances').where({ instance_id: instanceId }).first();
  const tenants = await listTenants(db, { page: 1, pageSize: 1000 }, instanceId);
  if (!row && tenants.total === 0) return undefined;
  const orders: InstanceOrderRow[] = await db('instance_orders').where({ instance_id: instanceId }).orderBy('id');
  return {
    instanceId,
    status: statusOf(row),
    createdByNewInstance: row?.order_id != null,
    orderId: row?.order_id ?? null,
    orderLineId: row?.order_line_id ?? null,
    productId: row?.product_id ?? null,
    expireTime: row?.expire_time ?? null,
    expiresAt: isoOf(row?.expire_time ?? null),
    testFlag: row ? bool(row.test_flag) : null,
    createdAt: row ? new Date(Number(row.created_at)).toISOString() : null,
    updatedAt: row ? new Date(Number(row.updated_at)).toISOString() : null,
    orders: orders.map((o) => ({
      kind: o.kind,
      orderId: o.order_id || null,
      orderLineId: o.order_line_id || null,
      scene: o.scene,
      productId: o.product_id,
      expireTime: o.expire_time,
      testFlag: bool(o.test_flag),
      recordedAt: new Date(Number(o.created_at)).toISOString(),
    })),
    tenants: tenants.items,
    tenantCount: tenants.total,
  };
}
