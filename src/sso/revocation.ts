import type { DirectoryChange } from '../store/changes.js';
import type { Trx } from '../store/db.js';
import { endSessions } from './sessions.js';

const IN_LIST_CHUNK = 1_000;

/**
 * Ends sessions in the same transaction as the marketplace call that takes the access away
 * (peers' lesson §1 row 20): authSync flag 0/3 or enable "false", tenant or app deleted, instance
 * frozen or released. If the call rolls back, the sessions stay; the user's next request is refused.
 */
export async function revokeSessions(trx: Trx, change: DirectoryChange): Promise<void> {
  const now = Date.now();
  switch (change.type) {
    case 'usersRevoked': {
      const key = { instance_id: change.instanceId, tenant_id: change.tenantId, app_id: change.appId };
      for (let i = 0; i < change.userNames.length; i += IN_LIST_CHUNK) {
        const names = change.userNames.slice(i, i + IN_LIST_CHUNK);
        await endSessions(trx, (q) => q.where(key).whereIn('user_name', names), 'deauthorized', now);
      }
      return;
    }
    case 'tenant':
      if (change.deleted) await endSessions(trx, (q) => q.where({ instance_id: change.instanceId, tenant_id: change.tenantId }), 'removed', now);
      return;
    case 'app':
      if (change.deleted) await endSessions(trx, (q) => q.where({ instance_id: change.instanceId, tenant_id: change.tenantId, app_id: change.appId }), 'removed', now);
      return;
    case 'instance':
      if (change.status !== 'active') await endSessions(trx, (q) => q.where({ instance_id: change.instanceId }), change.status, now);
      return;
  }
}
