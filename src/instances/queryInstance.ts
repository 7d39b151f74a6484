import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { QueryInstanceBody } from '../marketplace/basicSchemas.js';
import type { AppInfo, AppInfoOf, SentAppInfo } from './appInfo.js';
import { reportedAppInfo } from './appInfoReports.js';
import { appInfoRowsOf } from '../store/appInfo.js';
import { usageOfMany } from '../store/usage.js';
import { usageInfoOf } from './usage.js';
import type { SecretBox } from '../store/secretBox.js';
import { instanceNotFound } from './instanceCall.js';
import { statusOf } from './store.js';
import type { InstanceRow } from '../store/rows.js';
import { provisioningOfMany } from '../store/provisioning.js';
import { MarketplaceError, ResultCode } from '../marketplace/resultCodes.js';

/** How queryInstance writes appInfo: the templates, APPINFO_PASSWORD's form of the credentials, the box that opens them. */
export interface QueryInstanceDeps {
  appInfo: AppInfoOf;
  /** APPINFO_PASSWORD's form of the credentials. */
  sent: (info: AppInfo) => SentAppInfo;
  box: SecretBox;
}

/**
 * queryInstance (spec §7.2): appInfo for each listed instance that exists (released ones do not);
 * 000003 when none does. A debug request answers for every listed id, so the seller centre's saved
 * case keeps passing whichever id it names (spec §7.8). An instance still provisioning (PROVISIONING=async)
 * is left out; when nothing is left, 000004 keeps the marketplace polling, and a failed one answers 000005.
 * The appInfo is what the merchant's application set or reported, else the templates; usageInfo the
 * latest usage it reported per relatedInstanceId. An answer carrying a password is kept with its nonce only sealed.
 */

export async function queryInstance(trx: Trx, body: QueryInstanceBody, deps: QueryInstanceDeps): Promise<CallResult> {
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
  const set = await appInfoRowsOf(trx, answered);
  const usage = await usageOfMany(trx, answered);
  const info = answered.map((id) => {
    const reported = reportedAppInfo(deps.box, id, provisioning.get(id), set.get(id));
    const usageInfo = usage.get(id)?.map(usageInfoOf);
    return { instanceId: id, ...deps.sent(deps.appInfo(id, statusOf(found.get(id)), reported)), ...(usageInfo ? { usageInfo } : {}) };
  });
  return {
    outcome: 'applied',
    instanceId: ids.length === 1 ? ids[0] : undefined,
    testFlag: body.testFlag,
    detail: { requested: ids.length, found: found.size, answered: answered.length },
    changes: [],
    response: { info },
    secretInAnswer: info.some((entry) => entry.appInfo.password !== undefined),
  };
}
