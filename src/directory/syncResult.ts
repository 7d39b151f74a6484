import type { Trx } from '../store/db.js';
import type { CallResult } from '../marketplace/action.js';

export type SyncResult = CallResult;

/** What every kit call answers before it knows more: applied, for this instance and tenant. */
export function syncResult(body: { instanceId: string; tenantId: string; testFlag: boolean }, detail: Record<string, unknown>): SyncResult {
  return { outcome: 'applied', instanceId: body.instanceId, tenantId: body.tenantId, testFlag: body.testFlag, detail, changes: [] };
}

/** The columns every synced row carries: the marketplace time that wrote it, test data, tombstone. */
export function syncStamp(ts: string, testFlag: boolean, deleted?: boolean) {
  const now = Date.now();
  return {
    ...(deleted === undefined ? {} : { deleted: deleted ? 1 : 0 }),
    test_flag: testFlag ? 1 : 0,
    source_ts: ts,
    created_at: now,
    updated_at: now,
  };
}

/** The marketplace time stored on the row with this key, if any. */
export async function storedTime(trx: Trx, table: string, key: Record<string, string>): Promise<string | undefined> {
  const row: { source_ts: string } | undefined = await trx(table).where(key).first('source_ts');
  return row?.source_ts;
}

/** True when the stored row was written by a call newer than `ts`: the call must not change it. */
export async function isStale(trx: Trx, table: string, key: Record<string, string>, ts: string): Promise<boolean> {
  const stored = await storedTime(trx, table, key);
  return stored !== undefined && stored > ts;
}
