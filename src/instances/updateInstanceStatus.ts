import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { UpdateInstanceStatusBody } from '../marketplace/basicSchemas.js';
import { liveInstance, resultFor, unchanged } from './instanceCall.js';

const STATUS_OF = { FREEZE: 'frozen', UNFREEZE: 'active' } as const;

/**
 * updateInstanceStatus (spec §7.4): a frozen instance keeps all its data but nobody of its tenants
 * may log in. The 'instance' change lets the SSO feature end its sessions in this transaction.
 */
export async function updateInstanceStatus(trx: Trx, body: UpdateInstanceStatusBody): Promise<CallResult> {
  const found = await liveInstance(trx, body);
  if ('noop' in found) return found.noop;
  const status = STATUS_OF[body.status];
  const result = resultFor(body, { status: body.status, previous: found.row.status });
  if (found.row.status === status) return unchanged(result, { alreadyInStatus: status });
  await trx('instances').where({ instance_id: body.instanceId }).update({ status, updated_at: Date.now() });
  result.changes.push({ type: 'instance', instanceId: body.instanceId, status });
  return result;
}
