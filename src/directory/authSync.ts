import { IN_LIST_CHUNK, type Trx } from '../store/db.js';
import { upsertNewer, type Row } from '../store/upsertNewer.js';
import { runStatement } from '../store/statements.js';
import type { UserAppRow } from '../store/rows.js';
import type { AuthSyncBody, AuthUser } from '../marketplace/kitSchemas.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';

const STATE_BY_FLAG = { 0: 'deleted', 1: 'authorized', 2: 'authorized', 3: 'cancelled' } as const;

/**
 * authSync (spec §5.3): the users an enterprise admin authorizes for an app. Ordered by
 * currentSyncTime; idempotent by instance + tenant + app + userName. flag 3 keeps the user but
 * cancels the authorization; flag 0 deletes the authorization, and the user once no app has them.
 */
export async function authSync(trx: Trx, body: AuthSyncBody): Promise<SyncResult> {
  const ts = body.currentSyncTime;
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const users = [...new Map(body.userList.map((u) => [u.userName, u])).values()];
  const newer = await newerAuthorizations(trx, { ...tenantKey, app_id: body.appId }, users, ts);
  const current = users.filter((u) => !newer.has(u.userName));
  const result: SyncResult = syncResult(body, { flag: body.flag, appId: body.appId, users: users.length, stale: newer.size });
  if (current.length === 0) return users.length > 0 ? { ...result, outcome: 'stale' } : result;

  const base: RowBase = { ...tenantKey, ...syncStamp(ts, body.testFlag) };
  await upsertNewer(trx, 'users', current.map((u) => profileRow(u, base, body.flag === 0)), ['instance_id', 'tenant_id', 'user_name']);
  const state = STATE_BY_FLAG[body.flag];
  const { instance_id, tenant_id, test_flag, source_ts, created_at } = base;
  await upsertNewer(
    trx,
    'user_apps',
    // Plain literals: spreading a shared base into each of thousands of rows is many times slower.
    current.map((u) => ({ instance_id, tenant_id, test_flag, source_ts, created_at, app_id: body.appId, user_name: u.userName, role: u.role, enabled: u.enable ? 1 : 0, state })),
    ['instance_id', 'tenant_id', 'user_name', 'app_id'],
  );
  if (body.flag === 0) await keepUsersOtherAppsStillAuthorize(trx, tenantKey, current);

  const revoked = current.filter((u) => state !== 'authorized' || !u.enable).map((u) => u.userName);
  if (revoked.length > 0) {
    result.changes.push({ type: 'usersRevoked', instanceId: body.instanceId, tenantId: body.tenantId, appId: body.appId, userNames: revoked, deleted: body.flag === 0 });
  }
  return result;
}

type RowBase = { instance_id: string; tenant_id: string; test_flag: number; source_ts: string; created_at: number };

function profileRow(u: AuthUser, base: RowBase, deleted: boolean): Row {
  return {
    instance_id: base.instance_id,
    tenant_id: base.tenant_id,
    test_flag: base.test_flag,
    source_ts: base.source_ts,
    created_at: base.created_at,
    user_name: u.userName,
    name: u.name,
    org_code: u.orgCode,
    position: u.position,
    employee_code: u.employeeCode,
    employee_type: u.employeeType,
    mobile: u.mobile,
    email: u.email,
    work_place: u.workPlace,
    entry_date: u.entryDate,
    deleted: deleted ? 1 : 0,
  };
}

async function newerAuthorizations(trx: Trx, key: { instance_id: string; tenant_id: string; app_id: string }, users: AuthUser[], ts: string): Promise<Set<string>> {
  const names = new Set<string>();
  for (let i = 0; i < users.length; i += IN_LIST_CHUNK) {
    const chunk = users.slice(i, i + IN_LIST_CHUNK).map((u) => u.userName);
    const sql = `SELECT user_name FROM user_apps WHERE instance_id = ? AND tenant_id = ? AND app_id = ? AND user_name IN (${chunk.map(() => '?').join(', ')}) AND source_ts > ?`;
    const { rows } = await runStatement<Pick<UserAppRow, 'user_name'>>(trx, sql, [key.instance_id, key.tenant_id, key.app_id, ...chunk, ts]);
    for (const r of rows) names.add(r.user_name);
  }
  return names;
}

/** A user deleted for one app stays in the directory while another app still authorizes them. */
async function keepUsersOtherAppsStillAuthorize(trx: Trx, tenantKey: Record<string, string>, users: AuthUser[]) {
  for (let i = 0; i < users.length; i += IN_LIST_CHUNK) {
    await trx('users')
      .where(tenantKey)
      .whereIn('user_name', users.slice(i, i + IN_LIST_CHUNK).map((u) => u.userName))
      .andWhere('deleted', 1)
      .whereExists(function () {
        this.select(trx.raw('1'))
          .from('user_apps')
          .whereRaw('user_apps.instance_id = users.instance_id')
          .andWhereRaw('user_apps.tenant_id = users.tenant_id')
          .andWhereRaw('user_apps.user_name = users.user_name')
          .andWhereNot('user_apps.state', 'deleted');
      })
      .update({ deleted: 0 });
  }
}
