import type { Trx } from '../store/db.js';

export type { CallResult as SyncResult } from '../marketplace/action.js';
export const now = () => Date.now();

/** The marketplace time stored on the row with this key, if any. */
export async function storedTime(trx: Trx, table: string, key: Record<string, string>): Promise<string | undefined> {
  const row = await trx(table).where(key).first('source_ts');
  return row?.source_ts;
}

/** True when the stored row was written by a call newer than `ts`: the call must not change it. */
export async function isStale(trx: Trx, table: string, key: Record<string, string>, ts: string): Promise<boolean> {
  const stored = await storedTime(trx, table, key);
  return stored !== undefined && stored > ts;
}
