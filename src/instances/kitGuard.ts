import { guarded, type MarketplaceAction } from '../marketplace/action.js';
import { syncResult } from '../directory/syncResult.js';
import { lockedInstance } from './store.js';

interface KitBody {
  instanceId: string;
  tenantId: string;
  testFlag: boolean;
}

/**
 * Kit calls for a released instance answer success and change nothing, so a late or retried kit
 * call cannot bring a released instance's directory back. The shared lock makes a concurrent
 * release wait until this call has committed (and then delete what it wrote).
 */
export function unlessReleased(actions: Record<string, MarketplaceAction>): Record<string, MarketplaceAction> {
  return guarded<KitBody>(actions, async (trx, body) => {
    const instance = body.instanceId === '' ? undefined : await lockedInstance(trx, body.instanceId, 'share');
    if (instance?.status !== 'released') return undefined;
    return { ...syncResult(body, { instanceReleased: true, note: 'instance is released; nothing changed' }), outcome: 'stale' };
  });
}
