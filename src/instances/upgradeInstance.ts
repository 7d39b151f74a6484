import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { UpgradeInstanceBody } from '../marketplace/basicSchemas.js';
import { liveInstance, resultFor, unchanged } from './instanceCall.js';
import { recordOrder } from './store.js';
import { emitInstanceEvent } from './instanceEvents.js';

/**
 * upgradeInstance (spec §7.6): the upgrade order is recorded against the unchanged instance; what it
 * bought (SKU, period) is read by the merchant through the marketplace's order query API. A new
 * upgrade order emits instance.upgraded; a replayed one nothing.
 */
export async function upgradeInstance(trx: Trx, body: UpgradeInstanceBody): Promise<CallResult> {
  const found = await liveInstance(trx, body);
  if ('noop' in found) return found.noop;
  const result = resultFor(body, { orderId: body.orderId, orderLineId: body.orderLineId });
  const { instanceId, orderId, orderLineId, testFlag } = body;
  if (!(await recordOrder(trx, { instanceId, kind: 'upgrade', orderId, orderLineId, testFlag }))) return unchanged(result, { replay: true });
  await trx('instances').where({ instance_id: instanceId }).update({ updated_at: Date.now() });
  await emitInstanceEvent(trx, 'instance.upgraded', instanceId, body);
  return result;
}
