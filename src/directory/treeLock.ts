import { guarded, type MarketplaceAction } from '../marketplace/action.js';
import { lockTree } from './departments.js';

/**
 * Takes the tenant's tree lock (lockTree) before anything else the call does. It must come first:
 * MySQL's REPEATABLE READ fixes what a transaction reads at its first read, so a move that read
 * anything (a guard's check) before waiting on the lock would still not see the move it waited
 * for. Only what can link departments takes it: a full sync, and a singleOrgSync giving a parent.
 */
export function treeLockedFirst(actions: Record<string, MarketplaceAction>): Record<string, MarketplaceAction> {
  return guarded(actions, async (trx, body: { instanceId: string; tenantId: string; flag?: number; parentCode?: string | null }) => {
    if (body.flag !== 0 && body.parentCode !== null) await lockTree(trx, { instance_id: body.instanceId, tenant_id: body.tenantId });
    return undefined;
  });
}
