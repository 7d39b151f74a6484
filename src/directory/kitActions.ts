import type { Runtime } from '../runtime.js';
import type { DeleteLimit } from '../config/index.js';
import { action, type MarketplaceAction } from '../marketplace/action.js';
import { allOrgSyncBody, allOrgSyncDepartments, applicationSyncBody, authSyncBody, singleOrgSyncBody, tenantSyncBody, type AllOrgSyncBody } from '../marketplace/kitSchemas.js';
import { notAheadOfRequest } from '../marketplace/kitTimes.js';
import { tenantSync } from './tenantSync.js';
import { applicationSync } from './applicationSync.js';
import { authSync } from './authSync.js';
import { singleOrgSync } from './singleOrgSync.js';
import { allOrgSync } from './allOrgSync.js';
import { unlessTenantDeleted } from './tenantTombstone.js';
import { kitGuard } from '../instances/kitGuard.js';

/**
 * The five 联营 kit interfaces under {base}/produceAPI/v2/ (spec §5). Times far ahead of the request
 * are refused; a released instance's calls change nothing, nor do debug calls naming real data, nor
 * calls older than their tenant's deletion.
 * `deleteLimit` holds full syncs that would remove too many departments (null: applying a held one).
 */
export function kitActions(rt: Runtime, deleteLimit: DeleteLimit = rt.config.orgSyncDeleteLimit): Record<string, MarketplaceAction> {
  const secrets = { rsaKeys: rt.rsaKeys, box: rt.box };
  const underTenant = kitGuard(
    {
      applicationSync: action(applicationSyncBody, (trx, body) => applicationSync(trx, body, secrets)),
      authSync: action(authSyncBody, authSync),
      singleOrgSync: action(singleOrgSyncBody, singleOrgSync),
      allOrgSync: action(allOrgSyncBody, (trx, body: AllOrgSyncBody, request) => allOrgSync(trx, body, { deleteLimit, sentAt: request.sentAt }), allOrgSyncDepartments),
    },
    unlessTenantDeleted,
  );
  return notAheadOfRequest({ ...kitGuard({ tenantSync: action(tenantSyncBody, tenantSync) }), ...underTenant }, rt.config.maxFutureSkewSeconds);
}
