import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { RefreshInstanceBody } from '../marketplace/basicSchemas.js';
import { liveInstance, resultFor, unchanged } from './instanceCall.js';
import { recordOrder } from './store.js';
import { emitInstanceEvent } from './instanceEvents.js';

/**
 * refreshInstance (spec §7.3): trial to formal, renewal, unsubscribing a renewal period, renewal
 * change. The order sets the new expiry (and product); a replayed order — even one arriving after
 * a later order — changes nothing, so a retry cannot undo a newer change. Each order applied emits
 * instance.renewed (the order's key decides it, so of concurrent duplicates one does).
 */
export async function refreshInstance(trx: Trx, body: RefreshInstanceBody): Promise<CallResult> {
  const found = await liveInstance(trx, body);
  if ('noop' in found) return found.noop;
  const result = resultFor(body, { scene: body.scene, orderId: body.orderId, expireTime: body.expireTime, previousExpireTime: found.row.expire_time });
  const { instanceId, orderId, orderLineId, scene, productId, expireTime, testFlag } = body;
  if (!(await recordOrder(trx, { instanceId, kind: 'refresh', orderId, orderLineId, scene, productId, expireTime, testFlag }))) {
    return unchanged(result, { replay: true });
  }
  await trx('instances')
    .where({ instance_id: instanceId })
    .update({ expire_time: expireTime, product_id: productId ?? found.row.product_id, updated_at: Date.now() });
  await emitInstanceEvent(trx, 'instance.renewed', instanceId, body);
  return result;
}
