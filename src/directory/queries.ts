import { bool, type Db } from '../store/db.js';
import { ancestry, departmentPage, type DepartmentFilter, type TenantKey } from './departments.js';
import { pathsOf } from './orgTree.js';
import { onePage, type Page } from '../store/pages.js';
import type { AppRow, Flag, TenantRow, UserAppRow, UserRow } from '../store/rows.js';
import type { DepartmentPage, TenantDetailView, TenantPage, TenantView, UserAppView, UserPage, UserView } from './viewSchemas.js';

/** Read side of the tenant directory, for the merchant's application. Never returns secrets. Its answers' shapes: viewSchemas.ts. */

export async function listTenants(db: Db, { page, pageSize }: Page, instanceId?: string): Promise<TenantPage> {
  const q = db('tenants').where('deleted', 0);
  if (instanceId !== undefined) q.andWhere('instance_id', instanceId);
  const { rows, total } = await onePage<TenantRow>(q.orderBy([{ column: 'tenant_id' }, { column: 'instance_id' }]), { page, pageSize });
  return { items: rows.map(tenantView), page, pageSize, total };
}

/** The tenant row under the given instance, or, when a tenant has several, the most recently synced. */
export async function findTenant(db: Db, tenantId: string, instanceId?: string): Promise<TenantRow | undefined> {
  const q = db('tenants').where({ tenant_id: tenantId, deleted: 0 });
  if (instanceId !== undefined) q.andWhere('instance_id', instanceId);
  return q.orderBy('source_ts', 'desc').first();
}

export async function tenantDetail(db: Db, tenant: TenantRow): Promise<TenantDetailView> {
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

function tenantView(t: TenantRow): TenantView {
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
  const paths = pathsOf(await ancestry(db, key, rows.map((r) => r.org_code)));
  return {
    // `settled: false`: its parent links loop, waiting for a move that has not arrived (no path then).
    items: rows.map((r) => {
      const path = paths.get(r.org_code) ?? null;
      return { orgCode: r.org_code, orgName: r.org_name, parentCode: r.parent_code, path, settled: path !== null, syncedAt: r.source_ts };
    }),
    page: filter.page,
    pageSize: filter.pageSize,
    total,
  };
}

export interface UserFilter extends Page {
  appId?: string;
  orgCode?: string;
}

export async function listUsers(db: Db, key: TenantKey, filter: UserFilter): Promise<UserPage> {
  const q = db('users').where({ 'users.instance_id': key.instance_id, 'users.tenant_id': key.tenant_id, 'users.deleted': 0 });
  if (filter.orgCode !== undefined) q.andWhere('users.org_code', filter.orgCode);
  if (filter.appId !== undefined) {
    q.whereExists(function () {
      this.select(db.raw('1'))
        .from('user_apps')
        .whereRaw('user_apps.instance_id = users.instance_id and user_apps.tenant_id = users.tenant_id and user_apps.user_name = users.user_name')
        .andWhere('user_apps.app_id', filter.appId!);
    });
  }
  const { rows, total } = await onePage<UserRow>(q.orderBy('users.user_name').select('users.*'), filter);
  const apps = await authorizationsOf(db, key, rows.map((r) => r.user_name));
  return { items: rows.map((r) => userView(r, apps.get(r.user_name) ?? [])), page: filter.page, pageSize: filter.pageSize, total };
}

export async function findUser(db: Db, key: TenantKey, userName: string): Promise<UserView | undefined> {
  const row: UserRow | undefined = await db('users').where({ ...key, user_name: userName, deleted: 0 }).first();
  if (!row) return undefined;
  const apps = await authorizationsOf(db, key, [userName]);
  return userView(row, apps.get(userName) ?? []);
}

async function authorizationsOf(db: Db, key: TenantKey, userNames: string[]) {
  const byUser = new Map<string, UserAppView[]>();
  if (userNames.length === 0) return byUser;
  const rows: UserAppRow[] = await db('user_apps').where(key).whereIn('user_name', userNames).orderBy('app_id');
  for (const r of rows) {
    const list = byUser.get(r.user_name) ?? [];
    list.push({ appId: r.app_id, role: r.role, enabled: bool(r.enabled), state: r.state, authorized: r.state === 'authorized' && bool(r.enabled), syncedAt: r.source_ts });
    byUser.set(r.user_name, list);
  }
  return byUser;
}

function userView(r: UserRow, apps: UserAppView[]): UserView {
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
    apps,
  };
}
