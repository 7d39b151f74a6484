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
  const update = Object.keys(rows[0]!).filter((c) => !key.includes(c) && c !== 'source_ts' && c !== 'created_at');
  const upsert = dialectOf(trx) === 'mysql' ? mysqlUpsert : sqliteUpsert;
  await inChunks(rows, (chunk) => upsert(trx, table, chunk, key, update));
}

/** Inserts many rows (all with the same columns) in as few statements as the limits above allow. */
export async function insertRows(trx: Trx, table: string, rows: Row[]): Promise<void> {
  const insert = dialectOf(trx) === 'mysql' ? (chunk: Row[]) => trx(table).insert(chunk) : (chunk: Row[]) => sqliteInsert(trx, table, chunk, '');
  await inChunks(rows, async (chunk) => void (await insert(chunk)));
}

async function inChunks(rows: Row[], write: (chunk: Row[]) => Promise<void>): Promise<void> {
  if (rows.length === 0) return;
  const chunkSize = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length)));
  for (let i = 0; i < rows.length; i += chunkSize) {
    if (i > 0) await betweenStatements();
    await write(rows.slice(i, i + chunkSize));
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

/** On conflict, the stored row takes the incoming values unless it was written by a newer call. */
async function sqliteUpsert(trx: Trx, table: string, rows: Row[], key: string[], update: string[]): Promise<void> {
  const set = [...update, 'source_ts'].map((c) => `${quote(c)} = excluded.${quote(c)}`).join(', ');
  await sqliteInsert(trx, table, rows, ` ON CONFLICT (${key.map(quote).join(', ')}) DO UPDATE SET ${set} WHERE ${quote(table)}.source_ts <= excluded.source_ts`);
}

const quote = (name: string) => `"${name}"`;

/**
 * Written out as INSERT … VALUES (…), (…): knex would build a multi-row insert on SQLite as a
 * compound SELECT, which SQLite caps at 500 terms, and the VALUES form is faster besides.
 */
async function sqliteInsert(trx: Trx, table: string, rows: Row[], onConflict: string): Promise<void> {
  const columns = Object.keys(rows[0]!);
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  await trx.raw(
    `INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${Array(rows.length).fill(tuple).join(', ')}${onConflict}`,
    rows.flatMap((r) => columns.map((c) => r[c] ?? null)),
  );
}
