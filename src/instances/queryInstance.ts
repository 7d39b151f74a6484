import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { QueryInstanceBody } from '../marketplace/basicSchemas.js';
import type { AppInfoOf } from './appInfo.js';
import { instanceNotFound } from './instanceCall.js';
import { statusOf } from './store.js';
import type { InstanceRow } from '../store/rows.js';

/**
 * queryInstance (spec §7.2): appInfo for each listed instance that exists (released ones do not);
 * 000003 when none does. A debug request answers for every listed id, so the seller centre's saved
 * case keeps passing whichever id it names (spec §7.8).
 */
export async function queryInstance(trx: Trx, body: QueryInstanceBody, appInfo: AppInfoOf): Promise<CallResult> {
  const ids = body.instanceId;
  const rows: Pick<InstanceRow, 'instance_id' | 'status'>[] = await trx('instances')
    .whereIn('instance_id', ids)
    .whereNot('status', 'released')
    .select('instance_id', 'status');
  const found = new Map(rows.map((r) => [r.instance_id, r]));
  const answered = body.testFlag ? ids : ids.filter((id) => found.has(id));
  if (answered.length === 0) {
    throw instanceNotFound(ids.length === 1 ? `instanceId: instance ${ids[0]} does not exist` : `instanceId: none of the ${ids.length} instances exists`);
  }
  return {
    outcome: 'applied',
    instanceId: ids.length === 1 ? ids[0] : undefined,
    testFlag: body.testFlag,
    detail: { requested: ids.length, found: found.size, answered: answered.length },
    changes: [],
    response: { info: answered.map((id) => ({ instanceId: id, appInfo: appInfo(id, statusOf(found.get(id))) })) },
  };
}
