import type { ChangeCall, DirectoryChange } from '../store/changes.js';
import type { Trx } from '../store/db.js';
import { endSessionsOf } from './sessions.js';

/**
 * Ends sessions in the same transaction as the marketplace call that takes the access away (authSync
 * flag 0/3 or enable "false", tenant or app deleted, instance frozen or released), so a disabled
 * user keeps no session that outlives the change, as happens where revocation is a separate step.
 * Each ended session gets its session.revoked event in that transaction too. If the call rolls
 * back, the sessions stay; the user's next request is refused.
 */
export async function revokeSessions(trx: Trx, change: DirectoryChange, call: ChangeCall): Promise<void> {
  const now = Date.now();
  const { testFlag } = call;
  switch (change.type) {
    case 'usersRevoked': {
      const who = { instanceId: change.instanceId, tenantId: change.tenantId, appId: change.appId, userNames: change.userNames };
      return endSessionsOf(trx, who, { cause: 'deauthorized', reason: change.deleted ? 'deleted' : 'deauthorized', testFlag }, now);
    }
    case 'tenant':
      if (change.deleted) await endSessionsOf(trx, { instanceId: change.instanceId, tenantId: change.tenantId }, { cause: 'removed', testFlag }, now);
      return;
    case 'app':
      if (change.deleted) await endSessionsOf(trx, { instanceId: change.instanceId, tenantId: change.tenantId, appId: change.appId }, { cause: 'removed', testFlag }, now);
      return;
    case 'instance':
      if (change.status !== 'active') await endSessionsOf(trx, { instanceId: change.instanceId }, { cause: change.status, testFlag }, now);
      return;
  }
}
