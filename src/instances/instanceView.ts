import { bool, type Db } from '../store/db.js';
import { listTenants } from '../directory/queries.js';
import { onePage, type Page } from '../store/pages.js';
import { statusOf, type InstanceStatus } from './store.js';
import type { InstanceOrderRow, InstanceRow } from '../store/rows.js';
import type { InstancePage, InstanceView } from './viewSchemas.js';
import { provisioningOf } from '../store/provisioning.js';
import { appInfoRowsOf } from '../store/appInfo.js';

/** "yyyyMMddHHmmssSSS" (UTC) as ISO 8601. */
const isoOf = (time: string | null) => time?.replace(/^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})$/, '$1-$2-$3T$4:$5:$6.$7Z') ?? null;

const isoOfMs = (ms: number | string) => new Date(Number(ms)).toISOString();

/** The merchant's view of one instance: lifecycle status (see statusOf), expiry, orders and tenants. */
export async function instanceView(db: Db, instanceId: string, provisioningTimeoutMs = Infinity): Promise<InstanceView | undefined> {
  const row: InstanceRow | undefined = await db('instances').where({ instance_id: instanceId }).first();
  const tenants = await listTenants(db, { page: 1, pageSize: 1000, instanceId });
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
    createdAt: row ? isoOfMs(row.created_at) : null,
    updatedAt: row ? isoOfMs(row.updated_at) : null,
    orders: orders.map((o) => ({
      kind: o.kind,
      orderId: o.order_id || null,
      orderLineId: o.order_line_id || null,
      scene: o.scene,
      productId: o.product_id,
      expireTime: o.expire_time,
      testFlag: bool(o.test_flag),
      recordedAt: isoOfMs(o.created_at),
    })),
    tenants: tenants.items,
    tenantCount: tenants.total,
    provisioning: await provisioningView(db, instanceId, provisioningTimeoutMs),
    appInfo: await appInfoSetView(db, instanceId),
  };
}

async function appInfoSetView(db: Db, instanceId: string): Promise<InstanceView['appInfo']> {
  const set = (await appInfoRowsOf(db, [instanceId])).get(instanceId);
  if (!set) return null;
  return {
    frontEndUrl: set.front_end_url,
    adminUrl: set.admin_url,
    userName: set.user_name,
    memo: set.memo,
    passwordSet: set.password !== null,
    updatedAt: isoOfMs(set.updated_at),
  };
}

/** `timeoutMs`: PROVISIONING_TIMEOUT_MINUTES (events, written without it, never say overdue). */
async function provisioningView(db: Db, instanceId: string, timeoutMs: number): Promise<InstanceView['provisioning']> {
  const p = await provisioningOf(db, instanceId);
  if (!p) return null;
  return {
    state: p.state,
    since: isoOfMs(p.since),
    settledAt: p.settled_at === null ? null : isoOfMs(p.settled_at),
    reason: p.reason,
    overdue: p.state === 'provisioning' && Date.now() - Number(p.since) > timeoutMs,
  };
}

export interface InstanceFilter extends Page {
  status?: InstanceStatus;
  /** Epoch ms: only instances a lifecycle call changed at or after it. */
  updatedSince?: number;
  /** Released instances too (else only when status=released is asked). */
  includeDeleted?: boolean;
}

/**
 * A page of the instances the lifecycle calls created or released, in instanceId order (stable
 * paging), each compact: no orders or tenants, their count only. An instanceId known only from kit
 * calls has no row and is not listed (its tenants are in the tenant list).
 */
export async function listInstances(db: Db, filter: InstanceFilter): Promise<InstancePage> {
  const q = db('instances');
  if (filter.status !== undefined) q.where('status', filter.status);
  else if (!filter.includeDeleted) q.whereNot('status', 'released');
  if (filter.updatedSince !== undefined) q.andWhere('updated_at', '>=', filter.updatedSince);
  const { rows, total } = await onePage<InstanceRow>(q.orderBy('instance_id'), filter);
  const counts: { instance_id: string; n: number | string }[] =
    rows.length === 0
      ? []
      : await db('tenants')
          .where('deleted', 0)
          .whereIn('instance_id', rows.map((r) => r.instance_id))
          .groupBy('instance_id')
          .select('instance_id', db.raw('count(*) as n'));
  const tenantCount = new Map(counts.map((c) => [c.instance_id, Number(c.n)]));
  const items = rows.map((r) => ({
    instanceId: r.instance_id,
    status: r.status,
    orderId: r.order_id,
    productId: r.product_id,
    expireTime: r.expire_time,
    expiresAt: isoOf(r.expire_time),
    testFlag: bool(r.test_flag),
    createdAt: isoOfMs(r.created_at),
    updatedAt: isoOfMs(r.updated_at),
    tenantCount: tenantCount.get(r.instance_id) ?? 0,
  }));
  return { items, page: filter.page, pageSize: filter.pageSize, total };
}
