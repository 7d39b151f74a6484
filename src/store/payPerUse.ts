import type { Trx } from './db.js';
import { insertOnce } from './statements.js';

/** A pay-per-use (按需) order's key (spec §7.1): the order and the product bought. */
export interface OrderProduct {
  order_id: string;
  product_id: string;
}

/**
 * Takes the key for the newInstance creating its instance (attachInstance names it in the same
 * transaction); false when an earlier newInstance took it. A concurrent twin waits until the first commits.
 */
export const claimOrderProduct = (trx: Trx, key: OrderProduct) => insertOnce(trx, 'pay_per_use_orders', { ...key, instance_id: '' });

/** The instance the key names; a locking read sees the twin's committed row (MySQL). */
export async function orderProductInstance(trx: Trx, key: OrderProduct): Promise<string | undefined> {
  const row: { instance_id: string } | undefined = await trx('pay_per_use_orders').where(key).forShare().first('instance_id');
  return row?.instance_id || undefined;
}

export async function attachInstance(trx: Trx, key: OrderProduct, instanceId: string): Promise<void> {
  await trx('pay_per_use_orders').where(key).update({ instance_id: instanceId });
}

/** A forgotten debug instance's keys go too, so the seller centre's saved case creates it again. */
export async function forgetOrderProducts(trx: Trx, instanceId: string): Promise<void> {
  await trx('pay_per_use_orders').where({ instance_id: instanceId }).delete();
}
