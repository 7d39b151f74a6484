import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { ReleaseInstanceBody } from '../marketplace/basicSchemas.js';
import { resultFor, unchanged } from './instanceCall.js';
import { lockedInstance, recordOrder } from './store.js';

/** Everything the kit calls stored under an instance, children first. */
const DIRECTORY_TABLES = ['user_apps', 'users', 'departments', 'apps', 'tenants'] as const;

/**
 * releaseInstance (spec §7.5): the instance's directory (apps with their secrets included) is
 * deleted; the SSO feature ends its sessions on the 'released' change. The row stays as a
 * tombstone, written even for an instance never seen, so a repeated release changes nothing and a
 * late kit call cannot bring the data back.
 */
export async function releaseInstance(trx: Trx, body: ReleaseInstanceBody): Promise<CallResult> {
  const row = await lockedInstance(trx, body.instanceId, 'update');
  const result = resultFor(body);
  if (row?.status === 'released') return unchanged(result, { alreadyReleased: true });

  const key = { instance_id: body.instanceId };
  const removed: Record<string, number> = {};
  for (const table of DIRECTORY_TABLES) removed[table] = await trx(table).where(key).delete();
  const now = Date.now();
  await trx('instances')
    .insert({ ...key, status: 'released', test_flag: body.testFlag ? 1 : 0, created_at: now, updated_at: now })
    .onConflict('instance_id')
    .merge(['status', 'updated_at']);
  await recordOrder(trx, { instanceId: body.instanceId, kind: 'release', orderId: body.orderId, orderLineId: body.orderLineId, testFlag: body.testFlag });

  result.detail = { previous: row?.status ?? 'never created', orderId: body.orderId || null, removed };
  result.changes.push({ type: 'instance', instanceId: body.instanceId, status: 'released' });
  return result;
}
