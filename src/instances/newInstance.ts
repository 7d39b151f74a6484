import { randomUUID } from 'node:crypto';
import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { NewInstanceBody } from '../marketplace/basicSchemas.js';
import { emitInstanceEvent } from './instanceEvents.js';
import { recordOrder } from './store.js';
import { insertOnce } from '../store/statements.js';
import type { InstanceRow } from '../store/rows.js';
import { provisioningOf, startProvisioning } from '../store/provisioning.js';
import { attachInstance, claimOrderProduct, orderProductInstance } from '../store/payPerUse.js';
import { ResultCode } from '../marketplace/resultCodes.js';

/**
 * newInstance (spec §7.1): one instance per orderId + orderLineId, named by the businessId of the
 * first request. Duplicates, concurrent or late, find the order's row and answer its instanceId.
 * A body that carries a productId (pay-per-use) is also one instance per orderId + productId, as the
 * spec asks of pay-per-use orders: a later order line of the same product answers the same instance.
 * With PROVISIONING=sync the instance is ready at once (000000); with async it waits (000004). Only the call whose
 * insert took the order's key emits instance.created: of concurrent duplicates, one.
 */
export async function newInstance(trx: Trx, body: NewInstanceBody, mode: 'sync' | 'async' = 'sync'): Promise<CallResult> {
  const order = { order_id: body.orderId, order_line_id: body.orderLineId };
  const now = Date.now();
  const create = (instanceId: string) =>
    insertOnce(trx, 'instances', { instance_id: instanceId, status: 'active', ...order, product_id: body.productId, test_flag: body.testFlag ? 1 : 0, created_at: now, updated_at: now });

  const perUse = body.productId ? { order_id: body.orderId, product_id: body.productId } : undefined;
  const earlier = perUse && !(await claimOrderProduct(trx, perUse)) ? await orderProductInstance(trx, perUse) : undefined;
  let created = false;
  let row = earlier === undefined ? undefined : await instanceOf(trx, { instance_id: earlier });
  if (!row) {
    created = await create(body.businessId);
    row = created ? { instance_id: body.businessId, status: 'active' } : await instanceOf(trx, order);
  }
  if (!row) {
    // The businessId already names another order's instance (or a released one's tombstone): this order gets its own id.
    created = await create(randomUUID());
    row = await instanceOf(trx, order);
    if (!row) throw new Error(`newInstance: no instance row for order ${body.orderId}/${body.orderLineId} after insert`);
  }
  if (perUse && earlier !== row.instance_id) await attachInstance(trx, perUse, row.instance_id);
  await recordOrder(trx, { instanceId: row.instance_id, kind: 'new', orderId: body.orderId, orderLineId: body.orderLineId, productId: body.productId, testFlag: body.testFlag });
  // PROVISIONING=async: the instance waits for the merchant's application, which learns of it from
  // instance.created. Not a debug order's: the seller centre wants 000000 from its cases (spec §8.2).
  if (created && mode === 'async' && !body.testFlag) await startProvisioning(trx, row.instance_id, now);
  if (created) await emitInstanceEvent(trx, 'instance.created', row.instance_id, body);
  const provisioning = await provisioningOf(trx, row.instance_id);
  const detail = {
    orderId: body.orderId,
    orderLineId: body.orderLineId,
    created,
    status: row.status,
    ...(row.instance_id === body.businessId ? {} : { businessIdIgnored: true }),
    ...(perUse ? { productId: body.productId, sameOrderProduct: earlier !== undefined } : {}),
  };
  return { outcome: created ? 'applied' : 'stale', instanceId: row.instance_id, testFlag: body.testFlag, detail, changes: [], response: { instanceId: row.instance_id }, answer: answerOf(provisioning?.state, provisioning?.reason ?? null) };
}

/** A locking read sees the twin's committed row even where this transaction's snapshot predates it (MySQL). */
function instanceOf(trx: Trx, key: { order_id: string; order_line_id: string } | { instance_id: string }): Promise<Pick<InstanceRow, 'instance_id' | 'status'> | undefined> {
  return trx('instances').where(key).forShare().first('instance_id', 'status');
}

/**
 * Spec §7.1: 000004 while the merchant's application provisions (the marketplace polls
 * queryInstance); a failed provisioning answers 000005 with its reason; otherwise success.
 */
function answerOf(state: string | undefined, reason: string | null): CallResult['answer'] {
  if (state === 'provisioning') return { resultCode: ResultCode.processing, message: 'request is processing: the instance is being provisioned' };
  if (state === 'failed') return { resultCode: ResultCode.internalError, message: `provisioning failed: ${reason ?? ''}` };
  return undefined;
}
