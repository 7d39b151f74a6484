import { bool, IN_LIST_CHUNK, type Trx } from '../store/db.js';
import { upsertNewer, type Row } from '../store/upsertNewer.js';
import { lockClause, runStatement } from '../store/statements.js';
import { emit, type NewEvent } from '../store/events.js';
import type { UserAppRow, UserRow } from '../store/rows.js';
import type { AuthSyncBody, AuthUser } from '../marketplace/kitSchemas.js';
import { syncResult, syncStamp, type SyncResult } from './syncResult.js';
import { isAuthorized, userView } from './queries.js';
import { kitEvent } from './directoryEvents.js';
import type { TenantKey } from './departments.js';

const STATE_BY_FLAG = { 0: 'deleted', 1: 'authorized', 2: 'authorized', 3: 'cancelled' } as const;

/**
 * authSync (spec §5.3): the users an enterprise admin authorizes for an app. Ordered by
 * currentSyncTime; idempotent by instance + tenant + app + userName. flag 3 keeps the user but
 * cancels the authorization; flag 0 deletes the authorization, and the user once no app has them.
 * The users and all their authorizations are read locked before the write; what the write leaves
 * follows from them and the rows written (the order rule applied as the upserts apply it), and the
 * difference is what the call's events tell (concurrent duplicates take turns, and only the first
 * finds a difference).
 */
export async function authSync(trx: Trx, body: AuthSyncBody): Promise<SyncResult> {
  const ts = body.currentSyncTime;
  const tenantKey = { instance_id: body.instanceId, tenant_id: body.tenantId };
  const users = [...new Map(body.userList.map((u) => [u.userName, u])).values()];
  const names = users.map((u) => u.userName);
  const before = await lockedUsersWithApps(trx, tenantKey, names);
  const newer = new Set(names.filter((n) => (authorizationOf(before.get(n), body.appId)?.source_ts ?? '') > ts));
  const current = users.filter((u) => !newer.has(u.userName));
  const result: SyncResult = syncResult(body, { flag: body.flag, appId: body.appId, users: users.length, stale: newer.size });
  if (current.length === 0) return users.length > 0 ? { ...result, outcome: 'stale' } : result;

  const base: RowBase = { ...tenantKey, ...syncStamp(ts, body.testFlag) };
  // A user deleted for one app stays in the directory while another app still has them.
  const leaves = (u: AuthUser) => body.flag === 0 && !before.get(u.userName)?.apps.some((a) => a.app_id !== body.appId && a.state !== 'deleted');
  const profiles = current.map((u) => profileRow(u, base, leaves(u)));
  await upsertNewer(trx, 'users', profiles, ['instance_id', 'tenant_id', 'user_name']);
  const state = STATE_BY_FLAG[body.flag];
  const { instance_id, tenant_id, test_flag, source_ts, created_at, updated_at } = base;
  // Plain literals: spreading a shared base into each of thousands of rows is many times slower.
  const authorizations = current.map((u) => ({ instance_id, tenant_id, test_flag, source_ts, created_at, updated_at, app_id: body.appId, user_name: u.userName, role: u.role, enabled: u.enable ? 1 : 0, state }));
  await upsertNewer(trx, 'user_apps', authorizations, ['instance_id', 'tenant_id', 'user_name', 'app_id']);
  emit(trx, userEvents(body, current, before, afterWrite(before, profiles, authorizations)));

  const revoked = current.filter((u) => state !== 'authorized' || !u.enable).map((u) => u.userName);
  if (revoked.length > 0) {
    result.changes.push({ type: 'usersRevoked', instanceId: body.instanceId, tenantId: body.tenantId, appId: body.appId, userNames: revoked, deleted: body.flag === 0 });
  }
  return result;
}

type RowBase = { instance_id: string; tenant_id: string; test_flag: number; source_ts: string; created_at: number; updated_at: number };

function profileRow(u: AuthUser, base: RowBase, deleted: boolean): Row {
  return {
    instance_id: base.instance_id,
    tenant_id: base.tenant_id,
    test_flag: base.test_flag,
    source_ts: base.source_ts,
    created_at: base.created_at,
    updated_at: base.updated_at,
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

/** A stored user with every authorization they have (app_id order), tombstones included. */
interface StoredUser {
  row?: UserRow;
  apps: UserAppRow[];
}

/** The users of these names and all their authorizations, locked: a few statements per IN_LIST_CHUNK names, none per user. */
async function lockedUsersWithApps(trx: Trx, key: TenantKey, names: string[]): Promise<Map<string, StoredUser>> {
  const byName = new Map<string, StoredUser>();
  const of = (name: string) => byName.get(name) ?? byName.set(name, { apps: [] }).get(name)!;
  const lock = lockClause(trx, 'update');
  for (let i = 0; i < names.length; i += IN_LIST_CHUNK) {
    const chunk = names.slice(i, i + IN_LIST_CHUNK);
    const where = `instance_id = ? AND tenant_id = ? AND user_name IN (${chunk.map(() => '?').join(', ')})`;
    const params = [key.instance_id, key.tenant_id, ...chunk];
    for (const row of (await runStatement<UserRow>(trx, `SELECT * FROM users WHERE ${where}${lock}`, params)).rows) of(row.user_name).row = row;
    // Every app's, not only this call's: on MySQL the lock also keeps another app's new authorization out until commit.
    const apps = await runStatement<UserAppRow>(trx, `SELECT * FROM user_apps WHERE ${where} ORDER BY user_name, app_id${lock}`, params);
    for (const a of apps.rows) of(a.user_name).apps.push(a);
  }
  return byName;
}

const authorizationOf = (user: StoredUser | undefined, appId: string) => user?.apps.find((a) => a.app_id === appId);

/**
 * The users as the two upserts leave them, without reading them again: a profile row is taken
 * unless the stored one is newer; the authorization always is (a newer one kept the user out of
 * the call). The rows read before are locked (one writer on SQLite), so nothing else changed them.
 */
function afterWrite(before: Map<string, StoredUser>, profiles: Row[], authorizations: Row[]): Map<string, StoredUser> {
  const after = new Map<string, StoredUser>();
  for (let i = 0; i < profiles.length; i++) {
    const profile = profiles[i]!;
    const written = authorizations[i]!;
    const was = before.get(String(profile.user_name));
    const keep = was?.row !== undefined && was.row.source_ts > String(profile.source_ts);
    const row = keep ? was.row : ({ ...was?.row, ...profile, created_at: was?.row?.created_at ?? profile.created_at } as unknown as UserRow);
    const apps = (was?.apps ?? []).filter((a) => a.app_id !== written.app_id);
    const old = was?.apps.find((a) => a.app_id === written.app_id);
    const app = { ...old, ...written, created_at: old?.created_at ?? written.created_at } as unknown as UserAppRow;
    // In app_id order, as a read of them lists them.
    const at = apps.findIndex((a) => a.app_id > app.app_id);
    apps.splice(at === -1 ? apps.length : at, 0, app);
    after.set(String(profile.user_name), { row, apps });
  }
  return after;
}

/** What the directory shows of a user changes with these (besides their authorizations). */
const PROFILE = ['name', 'org_code', 'position', 'employee_code', 'employee_type', 'mobile', 'email', 'work_place', 'entry_date', 'test_flag'] as const;

/**
 * One event per user whose standing changed, in the list's order: deleted (left the directory),
 * authorized (for this app, and not before), deauthorized (no longer, still in the directory),
 * updated (authorized before and after, their profile or role changed).
 */
function userEvents(body: AuthSyncBody, users: AuthUser[], before: Map<string, StoredUser>, after: Map<string, StoredUser>): NewEvent[] {
  const events: NewEvent[] = [];
  const { instanceId, tenantId, appId } = body;
  const event = (type: NewEvent['type'], user: StoredUser) => kitEvent(body, body.currentSyncTime, type, { instanceId, tenantId, appId, ...userView(user.row!, user.apps) });
  for (const { userName } of users) {
    const was = before.get(userName);
    const now = after.get(userName)!;
    const wasLive = was?.row !== undefined && !bool(was.row.deleted);
    const isLive = now.row !== undefined && !bool(now.row.deleted);
    const wasIn = authorizationOf(was, appId);
    const isIn = authorizationOf(now, appId);
    const wasAuthorized = wasLive && wasIn !== undefined && isAuthorized(wasIn);
    const isNowAuthorized = isLive && isIn !== undefined && isAuthorized(isIn);
    if (wasLive && !isLive) events.push(event('user.deleted', was));
    else if (isNowAuthorized && !wasAuthorized) events.push(event('user.authorized', now));
    else if (wasAuthorized && !isNowAuthorized) events.push(event('user.deauthorized', now));
    else if (wasAuthorized && (wasIn!.role !== isIn!.role || PROFILE.some((c) => String(was.row![c]) !== String(now.row![c])))) events.push(event('user.updated', now));
  }
  return events;
}
