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
  const upsert = dialectOf(trx) === 'mysql' ? mysqlUpsert : sqliteUpsert;
  for (let i = 0; i < rows.length; i += chunkSize) {
    if (i > 0) await betweenStatements();
    await upsert(trx, table, rows.slice(i, i + chunkSize), key, update);
  }
}

/**
 * Lets other requests in between the statements of a long write: SQLite's driver runs each
 * statement on the main thread, and knex chains them without giving the event loop a turn.
 */
export const betweenStatements = () => new Promise((resolve) => setImmediate(resolve));

/** MySQL has no WHERE on its upsert and applies the assignments left to right, so source_ts goes last. */
async function mysqlUpsert(trx: Trx, table: string, rows: Row[], key: string[], update: string[]): Promise<void> {
  const merge: Record<string, unknown> = {};
  for (const c of update) merge[c] = trx.raw('IF(VALUES(source_ts) >= source_ts, VALUES(??), ??)', [c, c]);
  merge.source_ts = trx.raw('GREATEST(VALUES(source_ts), source_ts)');
  await trx(table).insert(rows).onConflict(key).merge(merge);
}

/**
 * Written out as INSERT … VALUES (…), (…): knex would build a multi-row insert on SQLite as a
 * compound SELECT, which SQLite caps at 500 terms, and the VALUES form is faster besides.
 */
async function sqliteUpsert(trx: Trx, table: string, rows: Row[], key: string[], update: string[]): Promise<void> {
  const columns = Object.keys(rows[0]!);
  const quote = (name: string) => `"${name}"`;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const set = [...update, 'source_ts'].map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ');
  await trx.raw(
    `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${Array(rows.length).fill(tuple).join(', ')} ` +
      `ON CONFLICT (${key.map(quote).join(', ')}) DO UPDATE SET ${set} WHERE ${quote(table)}.source_ts <= excluded.source_ts`,
    rows.flatMap((r) => columns.map((c) => r[c] ?? null)),
  );
}
