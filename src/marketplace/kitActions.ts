import type { Runtime } from '../runtime.js';
import { action, type MarketplaceAction } from './action.js';
import { allOrgSyncBody, applicationSyncBody, authSyncBody, singleOrgSyncBody, tenantSyncBody } from './kitSchemas.js';
import { tenantSync } from '../directory/tenantSync.js';
import { applicationSync } from '../directory/applicationSync.js';
import { authSync } from '../directory/authSync.js';
import { singleOrgSync } from '../directory/singleOrgSync.js';
import { allOrgSync } from '../directory/allOrgSync.js';
import { unlessReleased } from '../instances/kitGuard.js';

/** The five 联营 kit interfaces under {base}/produceAPI/v2/ (spec §5); a released instance's calls change nothing. */
export function kitActions(rt: Runtime): Record<string, MarketplaceAction> {
  const secrets = { rsaPrivateKey: rt.rsaPrivateKey, box: rt.box };
  return unlessReleased({
    tenantSync: action(tenantSyncBody, tenantSync),
    applicationSync: action(applicationSyncBody, (trx, body) => applicationSync(trx, body, secrets)),
    authSync: action(authSyncBody, authSync),
    singleOrgSync: action(singleOrgSyncBody, singleOrgSync),
    allOrgSync: action(allOrgSyncBody, allOrgSync),
  });
}
