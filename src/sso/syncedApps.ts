import type { Db, Trx } from '../store/db.js';
import type { AppRow, TenantRow } from '../store/rows.js';

/** An app joined with its tenant, as findSyncedApps selects it: only apps with a client id and secret. */
type SyncedAppRow = Pick<AppRow, 'instance_id' | 'tenant_id' | 'app_id'> &
  Pick<TenantRow, 'domain_name'> & { client_id: string; client_secret: string; app_ts: string; tenant_ts: string };

/** (instance, tenant, app): what a login and a session belong to. */
export interface AppKey {
  instanceId: string;
  tenantId: string;
  appId: string;
}

/** An app usable for SSO: tenant and app synced, not deleted, with credentials. */
export interface SyncedApp extends AppKey {
  domainName: string;
  clientId: string;
  sealedSecret: string;
  /** Changes whenever a newer tenantSync or applicationSync wrote either row (so every replica notices). */
  fingerprint: string;
}

export interface AppFilter {
  tenantId?: string;
  instanceId?: string;
  appId?: string;
}

export const appKeyOf = (a: AppKey): AppKey => ({ instanceId: a.instanceId, tenantId: a.tenantId, appId: a.appId });

export async function findSyncedApps(db: Db | Trx, filter: AppFilter, lock = false): Promise<SyncedApp[]> {
  const q = db('apps')
    .join('tenants', function () {
      this.on('tenants.instance_id', 'apps.instance_id').andOn('tenants.tenant_id', 'apps.tenant_id');
    })
    .where({ 'tenants.deleted': 0, 'apps.deleted': 0 })
    .whereNotNull('apps.client_secret')
    .whereNotNull('apps.client_id');
  if (filter.tenantId !== undefined) q.andWhere('apps.tenant_id', filter.tenantId);
  if (filter.instanceId !== undefined) q.andWhere('apps.instance_id', filter.instanceId);
  if (filter.appId !== undefined) q.andWhere('apps.app_id', filter.appId);
  // A login holds these rows shared, so a concurrent delete waits for it and then ends its session.
  if (lock) q.forShare();
  const rows: SyncedAppRow[] = await q
    .orderBy([{ column: 'apps.tenant_id' }, { column: 'apps.instance_id' }, { column: 'apps.app_id' }])
    .select(
      'apps.instance_id',
      'apps.tenant_id',
      'apps.app_id',
      'apps.client_id',
      'apps.client_secret',
      'apps.source_ts as app_ts',
      'tenants.domain_name',
      'tenants.source_ts as tenant_ts',
    );
  return rows.map((r) => ({
    instanceId: r.instance_id,
    tenantId: r.tenant_id,
    appId: r.app_id,
    domainName: r.domain_name,
    clientId: r.client_id,
    sealedSecret: r.client_secret,
    fingerprint: `${r.tenant_ts}|${r.app_ts}`,
  }));
}

export async function findSyncedApp(db: Db | Trx, key: AppKey, lock = false): Promise<SyncedApp | undefined> {
  return (await findSyncedApps(db, key, lock))[0];
}

/** The enterprise's name as the marketplace synced it (tenantSync `name`), for the pages a person sees. */
export async function enterpriseName(db: Db | Trx, key: Pick<AppKey, 'instanceId' | 'tenantId'>): Promise<string | undefined> {
  const row: Pick<TenantRow, 'name'> | undefined = await db('tenants').where({ instance_id: key.instanceId, tenant_id: key.tenantId }).first('name');
  return row?.name || undefined;
}
