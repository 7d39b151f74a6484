import type { Db, Trx } from '../store/db.js';
import type { UserAppRow, UserRow } from '../store/rows.js';
import { instanceStatuses } from '../instances/store.js';
import { SsoRefusal } from './refusal.js';
import { findSyncedApp, type AppKey } from './syncedApps.js';

export async function assertInstanceActive(db: Db | Trx, app: AppKey, lock = false): Promise<void> {
  const status = (await instanceStatuses(db, [app.instanceId], lock)).get(app.instanceId);
  if (status === 'frozen') {
    throw new SsoRefusal('instance_frozen', `instance ${app.instanceId} is frozen (overdue or suspended); logins resume when the marketplace unfreezes it`, app);
  }
  if (status === 'released') throw new SsoRefusal('instance_released', `instance ${app.instanceId} was released; it no longer grants access`, app);
}

/** What the directory says about a user who may log in. */
export interface DirectoryUser {
  role: string;
  name: string | null;
  orgCode: string | null;
}

/**
 * Everything a login needs at the moment its session is stored (spec §6): tenant and app
 * synced, the instance neither frozen nor released, the user authorized (authSync flag 1/2) and
 * enabled. On MySQL the rows are read under shared locks inside the session's transaction, so a
 * revoking call waits for this login to commit and then ends the session it created.
 */
export async function assertMayLogin(trx: Trx, app: AppKey, userName: string): Promise<DirectoryUser> {
  if (!(await findSyncedApp(trx, app, true))) {
    throw new SsoRefusal('app_not_synced', `app ${app.appId} of tenant ${app.tenantId} is no longer in the directory`, app);
  }
  await assertInstanceActive(trx, app, true);
  const who = { ...app, userName };
  const row: Pick<UserAppRow, 'role' | 'enabled' | 'state'> | undefined = await trx('user_apps')
    .where({ instance_id: app.instanceId, tenant_id: app.tenantId, app_id: app.appId, user_name: userName })
    .forShare()
    .first('role', 'enabled', 'state');
  if (!row || row.state === 'deleted') {
    throw new SsoRefusal('user_not_authorized', `user ${userName} is not authorized for app ${app.appId} of tenant ${app.tenantId} (no authSync for this user)`, who);
  }
  if (row.state === 'cancelled') {
    throw new SsoRefusal('authorization_cancelled', `the enterprise administrator cancelled ${userName}'s authorization for app ${app.appId}`, who);
  }
  if (!(row.enabled === 1 || row.enabled === true)) {
    throw new SsoRefusal('user_disabled', `user ${userName} is disabled (enable "false") for app ${app.appId}`, who);
  }
  const profile: Pick<UserRow, 'name' | 'org_code'> | undefined = await trx('users').where({ instance_id: app.instanceId, tenant_id: app.tenantId, user_name: userName }).first('name', 'org_code');
  return { role: row.role, name: profile?.name ?? null, orgCode: profile?.org_code ?? null };
}
