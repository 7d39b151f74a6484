import type { Knex } from 'knex';
import { bool, type Db, type Trx } from '../store/db.js';
import { ancestry, departmentPage, type DepartmentFilter, type TenantKey } from './departments.js';
import { pathsOf, pathUnder } from './orgTree.js';
import { onePage, withChanges, type ChangeFilter, type Page } from '../store/pages.js';
import type { AppRow, Flag, TenantRow, UserAppRow, UserRow } from '../store/rows.js';
import type { DepartmentPage, DepartmentView, TenantDetailView, TenantPage, TenantView, UserPage, UserView } from './viewSchemas.js';

/** Read side of the tenant directory, for the merchant's application. Never returns secrets. Its answers' shapes: viewSchemas.ts. */

export interface TenantFilter extends Page, ChangeFilter {
  instanceId?: string;
}

/** Whether a listed row is deleted: said only to a caller that asked for deleted rows too. */
const deletedField = (filter: ChangeFilter, deleted: Flag) => (filter.includeDeleted ? { deleted: bool(deleted) } : {});

export async function listTenants(db: Db, filter: TenantFilter): Promise<TenantPage> {
  const q = withChanges(db('tenants'), 'tenants', filter);
  if (filter.instanceId !== undefined) q.andWhere('instance_id', filter.instanceId);
  const { rows, total } = await onePage<TenantRow>(q.orderBy([{ column: 'tenant_id' }, { column: 'instance_id' }]), filter);
  return { items: rows.map((t) => ({ ...tenantView(t), ...deletedField(filter, t.deleted) })), page: filter.page, pageSize: filter.pageSize, total };
}

/** The tenant row under the given instance, or, when a tenant has several, the most recently synced. */
/** With `includeDeleted`, a deleted tenant too (a live one first): its deleted users and departments are listed then. */
export async function findTenant(db: Db, tenantId: string, instanceId?: string, includeDeleted = false): Promise<TenantRow | undefined> {
  const q = db('tenants').where({ tenant_id: tenantId });
  if (!includeDeleted) q.andWhere('deleted', 0);
  if (instanceId !== undefined) q.andWhere('instance_id', instanceId);
  return q.orderBy([{ column: 'deleted' }, { column: 'source_ts', order: 'desc' }]).first();
}

/** The tenant with its apps (never their secrets); read in a call's transaction for its events too. */
export async function tenantDetail(db: Db | Trx, tenant: TenantShown): Promise<TenantDetailView> {
  const apps: (Pick<AppRow, 'app_id' | 'client_id' | 'test_flag' | 'source_ts'> & { has_secret: Flag })[] = await db('apps')
    .where({ instance_id: tenant.instance_id, tenant_id: tenant.tenant_id, deleted: 0 })
    .orderBy('app_id')
    .select('app_id', 'client_id', 'test_flag', 'source_ts', db.raw('client_secret IS NOT NULL AS has_secret'));
  const instances: string[] = await db('tenants').where({ tenant_id: tenant.tenant_id, deleted: 0 }).orderBy('instance_id').pluck('instance_id');
  return {
    ...tenantView(tenant),
    instances,
    apps: apps.map((a) => ({
      appId: a.app_id,
      clientId: a.client_id,
      hasClientSecret: bool(a.has_secret),
      testFlag: bool(a.test_flag),
      syncedAt: a.source_ts,
    })),
  };
}

type TenantShown = Pick<TenantRow, 'instance_id' | 'tenant_id' | 'tenant_code' | 'name' | 'domain_name' | 'test_flag' | 'source_ts'>;

function tenantView(t: TenantShown): TenantView {
  return {
    instanceId: t.instance_id,
    tenantId: t.tenant_id,
    tenantCode: t.tenant_code,
    name: t.name,
    domainName: t.domain_name,
    testFlag: bool(t.test_flag),
    syncedAt: t.source_ts,
  };
}

/** A page of departments, each with its path from the top, computed from its ancestors only. */
export async function listDepartments(db: Db, key: TenantKey, filter: DepartmentFilter): Promise<DepartmentPage> {
  const { rows, total } = await departmentPage(db, key, filter);
  // A deleted department hangs under its last parent: the links start there (it is no live link itself).
  const starts = rows.map((r) => (bool(r.deleted) ? r.parent_code : r.org_code)).filter((c) => c !== null);
  const paths = pathsOf(await ancestry(db, key, starts));
  return {
    items: rows.map((r) => {
      const path = bool(r.deleted) ? pathUnder(paths, r.parent_code, r.org_code) : (paths.get(r.org_code) ?? null);
      return { ...departmentView(r, path), ...deletedField(filter, r.deleted) };
    }),
    page: filter.page,
    pageSize: filter.pageSize,
    total,
  };
}

/**
 * A department as the list shows it. `settled: false`: its parent links loop, waiting for a move
 * that has not arrived (no path then).
 */
export function departmentView(r: { org_code: string; org_name: string; parent_code: string | null; source_ts: string }, path: string | null): DepartmentView {
  return { orgCode: r.org_code, orgName: r.org_name, parentCode: r.parent_code, path, settled: path !== null, syncedAt: r.source_ts };
}

export interface UserFilter extends Page, ChangeFilter {
  appId?: string;
  orgCode?: string;
}

export async function listUsers(db: Db, key: TenantKey, filter: UserFilter): Promise<UserPage> {
  const q = db('users').where({ 'users.instance_id': key.instance_id, 'users.tenant_id': key.tenant_id });
  if (!filter.includeDeleted) q.andWhere('users.deleted', 0);
  if (filter.orgCode !== undefined) q.andWhere('users.org_code', filter.orgCode);
  const ofUser = (sub: Knex.QueryBuilder) =>
    sub
      .select(db.raw('1'))
      .from('user_apps')
      .whereRaw('user_apps.instance_id = users.instance_id and user_apps.tenant_id = users.tenant_id and user_apps.user_name = users.user_name');
  if (filter.appId !== undefined) q.whereExists((sub) => void ofUser(sub).andWhere('user_apps.app_id', filter.appId!));
  const since = filter.updatedSince;
  // A user shows their authorizations: a change of one is a change of the user.
  if (since !== undefined) q.andWhere((w) => w.where('users.updated_at', '>=', since).orWhereExists((sub) => void ofUser(sub).andWhere('user_apps.updated_at', '>=', since)));
  const { rows, total } = await onePage<UserRow>(q.orderBy('users.user_name').select('users.*'), filter);
  const apps = await authorizationsOf(db, key, rows.map((r) => r.user_name));
  return { items: rows.map((r) => ({ ...userView(r, apps.get(r.user_name) ?? []), ...deletedField(filter, r.deleted) })), page: filter.page, pageSize: filter.pageSize, total };
}

export async function findUser(db: Db, key: TenantKey, userName: string): Promise<UserView | undefined> {
  const row: UserRow | undefined = await db('users').where({ ...key, user_name: userName, deleted: 0 }).first();
  if (!row) return undefined;
  const apps = await authorizationsOf(db, key, [userName]);
  return userView(row, apps.get(userName) ?? []);
}

async function authorizationsOf(db: Db, key: TenantKey, userNames: string[]) {
  const byUser = new Map<string, UserAppRow[]>();
  if (userNames.length === 0) return byUser;
  const rows: UserAppRow[] = await db('user_apps').where(key).whereIn('user_name', userNames).orderBy('app_id');
  for (const r of rows) {
    const list = byUser.get(r.user_name) ?? [];
    list.push(r);
    byUser.set(r.user_name, list);
  }
  return byUser;
}

type UserProfile = Omit<UserRow, 'id' | 'instance_id' | 'tenant_id' | 'created_at' | 'updated_at' | 'deleted'>;
type Authorization = Pick<UserAppRow, 'app_id' | 'role' | 'enabled' | 'state' | 'source_ts'>;

/** A user as the directory API shows them, with their authorizations (in app_id order). */
export function userView(r: UserProfile, apps: Authorization[]): UserView {
  return {
    userName: r.user_name,
    name: r.name,
    orgCode: r.org_code,
    position: r.position,
    employeeCode: r.employee_code,
    employeeType: r.employee_type,
    mobile: r.mobile,
    email: r.email,
    workPlace: r.work_place,
    entryDate: r.entry_date,
    testFlag: bool(r.test_flag),
    syncedAt: r.source_ts,
    apps: apps.map((a) => ({ appId: a.app_id, role: a.role, enabled: bool(a.enabled), state: a.state, authorized: isAuthorized(a), syncedAt: a.source_ts })),
  };
}

/** Whether an authorization lets the user in: authorized and enabled. */
export const isAuthorized = (a: Pick<UserAppRow, 'state' | 'enabled'>) => a.state === 'authorized' && bool(a.enabled);

/** The directory's size across every tenant: live tenants and departments, and users with an authorization that lets them in. */
export async function directoryCounts(db: Db): Promise<{ tenants: number; departments: number; authorizedUsers: number }> {
  const count = async (q: Knex.QueryBuilder) => Number(((await q.count({ n: '*' }).first()) as { n: number | string } | undefined)?.n ?? 0);
  const [tenants, departments, authorizedUsers] = await Promise.all([
    count(db('tenants').where('deleted', 0)),
    count(db('departments').where('deleted', 0)),
    count(
      db('users')
        .where('users.deleted', 0)
        .whereExists((sub) =>
          void sub
            .select(db.raw('1'))
            .from('user_apps')
            .whereRaw('user_apps.instance_id = users.instance_id and user_apps.tenant_id = users.tenant_id and user_apps.user_name = users.user_name')
            .andWhere({ 'user_apps.state': 'authorized', 'user_apps.enabled': 1 }),
        ),
    ),
  ]);
  return { tenants, departments, authorizedUsers };
}
