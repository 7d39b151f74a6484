import type { Runtime } from '../runtime.js';
import { instanceStatuses } from '../instances/store.js';
import { SsoRefusal } from './refusal.js';
import { findSyncedApps, type AppFilter, type SyncedApp } from './syncedApps.js';

/**
 * Which synced app a login is for. The marketplace's callback carries only code + tenant, so:
 * the app named in the request (app-initiated login), else SSO_APP_ID when set, else any; of the
 * synced candidates, the only one, else the only one whose instance is active; several remaining
 * is refused with the list, since exchanging the single-use code with the wrong client spends it.
 */
export async function chooseApp(rt: Runtime, filter: AppFilter): Promise<SyncedApp> {
  const wanted = { ...filter, appId: filter.appId || rt.config.ssoAppId || undefined };
  const candidates = await findSyncedApps(rt.db, wanted);
  if (candidates.length === 1) return candidates[0]!;
  if (candidates.length === 0) throw await notSynced(rt, wanted);

  const statuses = await instanceStatuses(rt.db, [...new Set(candidates.map((c) => c.instanceId))]);
  const active = candidates.filter((c) => statuses.get(c.instanceId) === 'active');
  if (active.length === 1) return active[0]!;
  const list = (active.length ? active : candidates).map((c) => `app ${c.appId} of instance ${c.instanceId || '(none)'}`);
  throw new SsoRefusal(
    'app_ambiguous',
    `${describe(wanted)} matches ${list.length} synced apps (${list.slice(0, 5).join('; ')}); set SSO_APP_ID, or start the login at /sso/login with appId and instanceId`,
    { tenantId: filter.tenantId, instanceId: filter.instanceId },
  );
}

async function notSynced(rt: Runtime, f: AppFilter): Promise<SsoRefusal> {
  const tenants = rt.db('tenants').where('deleted', 0);
  if (f.tenantId !== undefined) tenants.andWhere('tenant_id', f.tenantId);
  if (f.instanceId !== undefined) tenants.andWhere('instance_id', f.instanceId);
  const subject = { tenantId: f.tenantId, instanceId: f.instanceId, appId: f.appId };
  if (!(await tenants.first('tenant_id'))) {
    return new SsoRefusal('tenant_not_synced', `${describe(f)} is not in the directory (no tenantSync received, or the tenant was deleted)`, subject);
  }
  return new SsoRefusal('app_not_synced', `${describe(f)} has no synced app with credentials (no applicationSync received, or the app was deleted)`, subject);
}

function describe(f: AppFilter): string {
  const parts = [f.tenantId !== undefined && `tenant ${f.tenantId}`, f.instanceId !== undefined && `instance ${f.instanceId}`, f.appId && `app ${f.appId}`];
  return parts.filter(Boolean).join(', ') || 'the login';
}
