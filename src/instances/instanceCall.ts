import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';
import { MarketplaceError, ResultCode } from '../marketplace/resultCodes.js';
import { lockedInstance } from './store.js';
import type { InstanceRow } from '../store/rows.js';

/** What every lifecycle call is about. */
export interface InstanceCall {
  instanceId: string;
  testFlag: boolean;
}

export const instanceNotFound = (message: string) => new MarketplaceError(ResultCode.instanceNotFound, message);

export function resultFor(call: InstanceCall, detail: Record<string, unknown> = {}): CallResult {
  return { outcome: 'applied', instanceId: call.instanceId, testFlag: call.testFlag, detail, changes: [] };
}

/** The call changed nothing (a replay, or nothing to do); audited as 'stale' with the reason. */
export function unchanged(result: CallResult, why: Record<string, unknown>): CallResult {
  return { ...result, outcome: 'stale', detail: { ...result.detail, ...why }, changes: [] };
}

/** A debug request (testFlag "1") naming an instance that real orders created: it must not change it. */
export const debugOnRealData = (call: InstanceCall, row: Pick<InstanceRow, 'test_flag'> | undefined) => call.testFlag && row !== undefined && !row.test_flag;

/** What such a request answers instead: success, changing nothing (dial-testing must keep passing). */
export const debugNoop = (call: InstanceCall) => unchanged(resultFor(call), { debugRequest: 'the instance is real data; answered without change' });

/**
 * The instance a refresh, status change or upgrade acts on, locked for the call. An instance never
 * created, or released, does not exist: 000003 (spec §2.1). Except for a debug request (testFlag
 * "1"): the seller centre replays its saved cases twice a day forever, in any order and with any
 * instanceId the seller typed (spec §7.8, §8.3), so such a request answers success and changes
 * nothing; nor does it change a real instance, whose id the seller may have typed.
 */
export async function liveInstance(trx: Trx, call: InstanceCall): Promise<{ row: InstanceRow } | { noop: CallResult }> {
  const row = await lockedInstance(trx, call.instanceId, 'update');
  if (debugOnRealData(call, row)) return { noop: debugNoop(call) };
  if (row && row.status !== 'released') return { row };
  const state = row ? 'released' : 'never created';
  if (call.testFlag) return { noop: unchanged(resultFor(call), { debugRequest: `instance ${state}; answered without change` }) };
  throw instanceNotFound(`instanceId: instance ${call.instanceId} does not exist (${state})`);
}
