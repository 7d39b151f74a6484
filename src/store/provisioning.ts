import type { Db, Trx } from './db.js';

export type ProvisioningState = 'provisioning' | 'provisioned' | 'failed';

/** One instance's provisioning as the merchant's application reported it (password sealed). */
export interface ProvisioningRow {
  instance_id: string;
  state: ProvisioningState;
  since: number | string;
  settled_at: number | string | null;
  reason: string | null;
  front_end_url: string | null;
  admin_url: string | null;
  user_name: string | null;
  password: string | null;
  memo: string | null;
}

export interface ReportedAppInfo {
  frontEndUrl: string;
  adminUrl: string | null;
  userName: string | null;
  /** Sealed with rt.box. */
  password: string | null;
  memo: string | null;
}

/** Records the instance as waiting for the merchant's application; a duplicate newInstance finds it there. */
export async function startProvisioning(trx: Trx, instanceId: string, now: number): Promise<void> {
  await trx('instance_provisioning').insert({ instance_id: instanceId, state: 'provisioning', since: now }).onConflict('instance_id').ignore();
}

/** The row, locked for the report that settles it (MySQL; SQLite runs one transaction at a time). */
export function provisioningOf(db: Db | Trx, instanceId: string, lock = false): Promise<ProvisioningRow | undefined> {
  const q = db('instance_provisioning').where({ instance_id: instanceId });
  if (lock) q.forUpdate();
  return q.first();
}

export async function provisioningOfMany(db: Db | Trx, instanceIds: string[]): Promise<Map<string, ProvisioningRow>> {
  const rows: ProvisioningRow[] = instanceIds.length === 0 ? [] : await db('instance_provisioning').whereIn('instance_id', instanceIds);
  return new Map(rows.map((r) => [r.instance_id, r]));
}

export async function settleProvisioned(trx: Trx, instanceId: string, info: ReportedAppInfo, now: number): Promise<void> {
  await trx('instance_provisioning').where({ instance_id: instanceId }).update({
    state: 'provisioned',
    settled_at: now,
    front_end_url: info.frontEndUrl,
    admin_url: info.adminUrl,
    user_name: info.userName,
    password: info.password,
    memo: info.memo,
  });
}

export async function settleFailed(trx: Trx, instanceId: string, reason: string, now: number): Promise<void> {
  await trx('instance_provisioning').where({ instance_id: instanceId }).update({ state: 'failed', settled_at: now, reason });
}

/** A released instance's reported password is of no more use to anyone: it is not kept. */
export async function forgetReportedPassword(trx: Trx, instanceId: string): Promise<void> {
  await trx('instance_provisioning').where({ instance_id: instanceId }).whereNotNull('password').update({ password: null });
}

/** How many instances are still provisioning since before `before` (epoch ms). */
export async function countOverdue(db: Db, before: number): Promise<number> {
  const row = await db('instance_provisioning').where('state', 'provisioning').andWhere('since', '<', before).count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}
