import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import type { UpdateInstanceStatusBody } from '../marketplace/basicSchemas.js';
import { utcInstant } from '../marketplace/validation.js';
import { liveInstance, resultFor, unchanged } from './instanceCall.js';
import { emitInstanceEvent } from './instanceEvents.js';
import type { InstanceRow } from '../store/rows.js';

const STATUS_OF = { FREEZE: 'frozen', UNFREEZE: 'active' } as const;

/** What tells a late FREEZE from a new one. */
export interface FreezeRules {
  /** How long the marketplace may go on retrying a lifecycle call it saw fail. */
  retryHorizonMs: number;
  /** How far the marketplace's clock may be from ours (the signature window allows that much). */
  clockToleranceMs: number;
}

/**
 * updateInstanceStatus (spec §7.4): a frozen instance keeps all its data but nobody of its tenants
 * may log in. The 'instance' change lets the SSO feature end its sessions in this transaction.
 * A FREEZE that may be a late retry of one sent before a renewal or an UNFREEZE is recorded and
 * not applied (see lateFreeze). Only a status that changes emits instance.frozen / instance.unfrozen;
 * the row is locked for the call, so of concurrent duplicates the first changes it and the rest find it so.
 */
export async function updateInstanceStatus(trx: Trx, body: UpdateInstanceStatusBody, rules: FreezeRules): Promise<CallResult> {
  const found = await liveInstance(trx, body);
  if ('noop' in found) return found.noop;
  const now = Date.now();
  const status = STATUS_OF[body.status];
  const result = resultFor(body, { status: body.status, previous: found.row.status });
  const key = { instance_id: body.instanceId };
  // Kept even when the instance is active already: a FREEZE sent before this UNFREEZE is late all the same.
  if (body.status === 'UNFREEZE') await trx('instances').where(key).update({ unfrozen_at: now });
  if (found.row.status === status) return unchanged(result, { alreadyInStatus: status });
  if (body.status === 'FREEZE') {
    const late = await lateFreeze(trx, found.row, rules, now);
    if (late) {
      return {
        ...unchanged(result, { lateFreeze: late, note: 'FREEZE not applied: the instance was renewed or unfrozen since it may have been sent' }),
        notice: { kind: 'late_freeze', message: 'late FREEZE recorded and not applied', fields: { lateFreeze: late } },
      };
    }
  }
  await trx('instances').where(key).update({ status, updated_at: now });
  await emitInstanceEvent(trx, status === 'frozen' ? 'instance.frozen' : 'instance.unfrozen', body.instanceId, body);
  result.changes.push({ type: 'instance', instanceId: body.instanceId, status });
  return result;
}

/**
 * The calls carry no order time, and the marketplace retries a failed FREEZE (re-signed) for hours,
 * also after the buyer renewed and the instance was unfrozen. So a FREEZE is taken for such a late
 * retry when, within the retry horizon, an UNFREEZE arrived, or a refreshInstance set an expiry
 * that still lies ahead: the FREEZE may have been sent before either. Applying a late FREEZE would
 * lock a paying customer out with no UNFREEZE to follow; not applying a genuine one leaves a
 * customer in for the freeze period at most, until the release. Returns why, or undefined.
 */
async function lateFreeze(trx: Trx, row: InstanceRow, rules: FreezeRules, now: number): Promise<Record<string, string> | undefined> {
  const since = now - rules.retryHorizonMs;
  const at = (ms: number) => new Date(ms).toISOString();
  if (row.unfrozen_at !== null && Number(row.unfrozen_at) > since) return { unfrozenAt: at(Number(row.unfrozen_at)) };
  if (row.expire_time === null || utcInstant(row.expire_time) <= now + rules.clockToleranceMs) return undefined;
  const renewal: { at?: number | string | null } | undefined = await trx('instance_orders')
    .where({ instance_id: row.instance_id, kind: 'refresh' })
    .max({ at: 'created_at' })
    .first();
  if (renewal?.at == null || Number(renewal.at) <= since) return undefined;
  return { renewedAt: at(Number(renewal.at)), expireTime: row.expire_time };
}
