import { randomUUID } from 'node:crypto';
import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { NewInstanceBody } from '../marketplace/basicSchemas.js';
import { emitInstanceEvent } from './instanceEvents.js';
import { insertOnce, recordOrder } from './store.js';
import type { InstanceRow } from '../store/rows.js';
import { provisioningOf, startProvisioning } from '../store/provisioning.js';
import { ResultCode } from '../marketplace/resultCodes.js';

/**
 * newInstance (spec §7.1): one instance per orderId + orderLineId, named by the businessId of the
 * first request. Duplicates, concurrent or late, find the order's row and answer its instanceId.
 * With PROVISIONING=sync the instance is ready at once (000000); with async it waits (000004). Only the call whose
 * insert took the order's key emits instance.created: of concurrent duplicates, one.
 */
export async function newInstance(trx: Trx, body: NewInstanceBody, mode: 'sync' | 'async' = 'sync'): Promise<CallResult> {
  const order = { order_id: body.orderId, order_line_id: body.orderLineId };
  const now = Date.now();
  const create = (instanceId: string) =>
    insertOnce(trx, 'instances', { instance_id: instanceId, status: 'active', ...order, test_flag: body.testFlag ? 1 : 0, created_at: now, updated_at: now });

  let created = await create(body.businessId);
  let row = created ? { instance_id: body.businessId, status: 'active' } : await orderInstance(trx, order);
  if (!row) {
    // The businessId already names another order's instance (or a released one's tombstone): this order gets its own id.
    created = await create(randomUUID());
    row = await orderInstance(trx, order);
    if (!row) throw new Error(`newInstance: no instance row for order ${body.orderId}/${body.orderLineId} after insert`);
  }
  await recordOrder(trx, { instanceId: row.instance_id, kind: 'new', orderId: body.orderId, orderLineId: body.orderLineId, testFlag: body.testFlag });
  // PROVISIONING=async: the instance waits for the merchant's application, which learns of it from
  // instance.created. Not a debug order's: the seller centre wants 000000 from its cases (spec §8.2).
  if (created && mode === 'async' && !body.testFlag) await startProvisioning(trx, row.instance_id, now);
  if (created) await emitInstanceEvent(trx, 'instance.created', row.instance_id, body);
  const provisioning = await provisioningOf(trx, row.instance_id);
  const detail = { orderId: body.orderId, orderLineId: body.orderLineId, created, status: row.status, ...(row.instance_id === body.businessId ? {} : { businessIdIgnored: true }) };
  return { outcome: created ? 'applied' : 'stale', instanceId: row.instance_id, testFlag: body.testFlag, detail, changes: [], response: { instanceId: row.instance_id }, answer: answerOf(provisioning?.state, provisioning?.reason ?? null) };
}

/** A locking read sees the twin's committed row even where this transaction's snapshot predates it (MySQL). */
function orderInstance(trx: Trx, order: { order_id: string; order_line_id: string }): Promise<Pick<InstanceRow, 'instance_id' | 'status'> | undefined> {
  return trx('instances').where(order).forShare().first('instance_id', 'status');
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
