import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { QueryInstanceBody } from '../marketplace/basicSchemas.js';
import type { AppInfoOf } from './appInfo.js';
import { instanceNotFound } from './instanceCall.js';
import { statusOf } from './store.js';
import type { InstanceRow } from '../store/rows.js';
import { provisioningOfMany, type ProvisioningRow } from '../store/provisioning.js';
import { MarketplaceError, ResultCode } from '../marketplace/resultCodes.js';

/**
 * queryInstance (spec §7.2): appInfo for each listed instance that exists (released ones do not);
 * 000003 when none does. A debug request answers for every listed id, so the seller centre's saved
 * case keeps passing whichever id it names (spec §7.8). An instance still provisioning (PROVISIONING=async)
 * is left out; when nothing is left, 000004 keeps the marketplace polling, and a failed one answers 000005.
 */
export async function queryInstance(trx: Trx, body: QueryInstanceBody, appInfo: AppInfoOf): Promise<CallResult> {
  const ids = body.instanceId;
  const rows: Pick<InstanceRow, 'instance_id' | 'status'>[] = await trx('instances')
    .whereIn('instance_id', ids)
    .whereNot('status', 'released')
    .select('instance_id', 'status');
  const found = new Map(rows.map((r) => [r.instance_id, r]));
  const provisioning = await provisioningOfMany(trx, [...found.keys()]);
  // An instance the merchant's application has not (successfully) provisioned has no appInfo yet.
  const ready = (id: string) => !provisioning.has(id) || provisioning.get(id)!.state === 'provisioned';
  const answered = (body.testFlag ? ids : ids.filter((id) => found.has(id))).filter(ready);
  if (answered.length === 0) {
    const waiting = [...provisioning.values()];
    if (waiting.some((p) => p.state === 'provisioning')) throw new MarketplaceError(ResultCode.processing, 'request is processing: the instance is being provisioned');
    const failed = waiting.find((p) => p.state === 'failed');
    if (failed) throw new MarketplaceError(ResultCode.internalError, `provisioning failed: ${failed.reason ?? ''}`);
    throw instanceNotFound(ids.length === 1 ? `instanceId: instance ${ids[0]} does not exist` : `instanceId: none of the ${ids.length} instances exists`);
  }
  return {
    outcome: 'applied',
    instanceId: ids.length === 1 ? ids[0] : undefined,
    testFlag: body.testFlag,
    detail: { requested: ids.length, found: found.size, answered: answered.length },
    changes: [],
    response: { info: answered.map((id) => ({ instanceId: id, appInfo: reported(appInfo(id, statusOf(found.get(id))), provisioning.get(id)) })) },
  };
}

/** What the merchant's application reported wins over the templates (the password is never answered from here). */
function reported(template: ReturnType<AppInfoOf>, p: ProvisioningRow | undefined): Record<string, string> {
  if (!p || p.state !== 'provisioned') return { ...template };
  const info: Record<string, string> = { frontEndUrl: p.front_end_url ?? template.frontEndUrl, adminUrl: p.admin_url ?? template.adminUrl, memo: p.memo ?? template.memo };
  if (p.user_name) info.userName = p.user_name;
  return info;
}
