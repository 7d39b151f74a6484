import type { Trx } from './db.js';
import { dialectOf } from './db.js';

export type Row = Record<string, string | number | null>;

/** Bound parameters per statement stay under SQLite's 32,766 and keep MySQL packets small. */
const MAX_PARAMS = 30_000;
const MAX_ROWS = 2_000;

/**
 * Inserts rows, or updates the existing row with the same key only when the incoming
 * `source_ts` (the marketplace's timeStamp) is not older than the stored one: the order-safety
 * rule for every sync call. Equal timestamps re-apply the same values, so replays change nothing.
 * `created_at` is written on insert only.
 */
export async function upsertNewer(trx: Trx, table: string, rows: Row[], key: string[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const update = columns.filter((c) => !key.includes(c) && c !== 'source_ts' && c !== 'created_at');
  const chunkSize = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / columns.length)));
  const mysql = dialectOf(trx) === 'mysql';
  for (let i = 0; i < rows.length; i += chunkSize) {
    const chunk = rows.slice(i, i + chunkSize);
    const insert = trx(table).insert(chunk).onConflict(key);
    if (mysql) {
      // MySQL applies the assignments left to right, so source_ts must be assigned last.
      const merge: Record<string, unknown> = {};
      for (const c of update) merge[c] = trx.raw('IF(VALUES(source_ts) >= source_ts, VALUES(??), ??)', [c, c]);
      merge.source_ts = trx.raw('GREATEST(VALUES(source_ts), source_ts)');
      await insert.merge(merge);
    } else {
      await insert.merge([...update, 'source_ts']).where(`${table}.source_ts`, '<=', trx.ref('excluded.source_ts'));
    }
  }
}
