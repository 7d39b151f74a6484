import { dialectOf, type Trx } from './db.js';
import { insertStatement, name, runStatement } from './statements.js';

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
  const onConflict = dialectOf(trx) === 'mysql' ? mysqlNewer(update) : sqliteNewer(table, key, update);
  await inChunks(rows, async (chunk) => {
    const { sql, params } = insertStatement(table, columns, chunk);
    await runStatement(trx, sql + onConflict, params);
  });
}

/** Inserts many rows (all with the same columns) in as few statements as the limits above allow. */
export async function insertRows(trx: Trx, table: string, rows: Row[]): Promise<void> {
  await inChunks(rows, async (chunk) => {
    const { sql, params } = insertStatement(table, Object.keys(rows[0]!), chunk);
    await runStatement(trx, sql, params);
  });
}

async function inChunks(rows: Row[], write: (chunk: Row[]) => Promise<void>): Promise<void> {
  if (rows.length === 0) return;
  const chunkSize = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length)));
  for (let i = 0; i < rows.length; i += chunkSize) {
    if (i > 0) await betweenStatements();
    await write(rows.length <= chunkSize ? rows : rows.slice(i, i + chunkSize));
  }
}

/**
 * Lets other requests in between the statements of a long write: SQLite's driver runs each
 * statement on the main thread, and knex chains them without giving the event loop a turn.
 */
export const betweenStatements = () => new Promise((resolve) => setImmediate(resolve));

/** MySQL has no WHERE on its upsert and applies the assignments left to right, so source_ts goes last. */
function mysqlNewer(update: string[]): string {
  const set = update.map((c) => `${name(c)} = IF(VALUES(source_ts) >= source_ts, VALUES(${name(c)}), ${name(c)})`);
  return ` ON DUPLICATE KEY UPDATE ${[...set, 'source_ts = GREATEST(VALUES(source_ts), source_ts)'].join(', ')}`;
}

/** On conflict, the stored row takes the incoming values unless it was written by a newer call. */
function sqliteNewer(table: string, key: string[], update: string[]): string {
  const set = [...update, 'source_ts'].map((c) => `${name(c)} = excluded.${name(c)}`).join(', ');
  return ` ON CONFLICT (${key.map(name).join(', ')}) DO UPDATE SET ${set} WHERE ${name(table)}.source_ts <= excluded.source_ts`;
}
