import { dialectOf, type Trx } from './db.js';
import { insertStatement, name, runStatement, type Statement } from './statements.js';

export type Row = Record<string, string | number | null>;

/** Bound parameters per statement stay under SQLite's 32,766 and keep MySQL packets small. */
const MAX_PARAMS = 30_000;
const MAX_ROWS = 2_000;

/**
 * Inserts rows, or updates the existing row with the same key only when the incoming
 * `source_ts` (the marketplace's timeStamp) is not older than the stored one: the order-safety
 * rule for every sync call. Equal timestamps re-apply the same values, so replays change nothing.
 * `created_at` is written on insert only; `updated_at`, when the rows carry it, only when another
 * value changes (a resend that re-stamps a row leaves it, so `updatedSince` lists real changes).
 */
export async function upsertNewer(trx: Trx, table: string, rows: Row[], key: string[]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]!);
  const values = columns.filter((c) => !key.includes(c) && c !== 'source_ts' && c !== 'created_at' && c !== 'updated_at');
  const onConflict = dialectOf(trx) === 'mysql' ? mysqlNewer(values, columns.includes('updated_at')) : sqliteNewer(table, key, values, columns.includes('updated_at'));
  await inChunks(trx, rows, (chunk) => {
    const { sql, params } = insertStatement(table, columns, chunk);
    return { sql: sql + onConflict, params };
  });
}

/** Inserts many rows (all with the same columns) in as few statements as the limits above allow. */
export async function insertRows(trx: Trx, table: string, rows: Row[]): Promise<void> {
  await inChunks(trx, rows, (chunk) => insertStatement(table, Object.keys(rows[0]!), chunk));
}

async function inChunks(trx: Trx, rows: Row[], statementOf: (chunk: Row[]) => Statement): Promise<void> {
  if (rows.length === 0) return;
  const chunkSize = Math.max(1, Math.min(MAX_ROWS, Math.floor(MAX_PARAMS / Object.keys(rows[0]!).length)));
  await inTurns(trx, function* () {
    for (let i = 0; i < rows.length; i += chunkSize) yield statementOf(rows.length <= chunkSize ? rows : rows.slice(i, i + chunkSize));
  });
}

/**
 * Runs the statements `make` makes, in order, with a turn of the event loop between two. On MySQL
 * the next statement is made while the database runs the one before: for a large call, making
 * them costs a good part of what the database takes for them. (SQLite's driver runs a statement
 * before its promise is made: there they take turns anyway.) `options` go to every statement.
 */
export async function inTurns(trx: Trx, make: () => Iterable<Statement>, options: { prepared?: boolean } = {}): Promise<void> {
  let running: Promise<unknown> | undefined;
  for (const { sql, params } of make()) {
    if (running) {
      await running;
      await betweenStatements();
    }
    running = runStatement(trx, sql, params, options);
    // Awaited before the next is sent or at the end; until then its failure must not count as unhandled.
    running.catch(() => {});
  }
  await running;
}

/**
 * Lets other requests in between the statements of a long write: SQLite's driver runs each
 * statement on the main thread, and knex chains them without giving the event loop a turn.
 */
export const betweenStatements = () => new Promise((resolve) => setImmediate(resolve));

/** Work between two turns of a long loop (see turnTaker): short enough for every other request to wait little. */
const TURN_MS = 15;

/**
 * For a long loop over a large call's rows on the main thread: `due()` says (cheaply, it is asked
 * every step) whether the loop has held the thread for a turn's worth, and then it should await
 * betweenStatements. Each due() restarts the clock when it answers true.
 */
export function turnTaker(): { due(): boolean } {
  let since = performance.now();
  let steps = 0;
  return {
    due() {
      if ((++steps & 255) !== 0 || performance.now() - since < TURN_MS) return false;
      since = performance.now();
      return true;
    },
  };
}

/**
 * MySQL has no WHERE on its upsert and applies the assignments left to right, each seeing the ones
 * before: updated_at goes first (it compares the values before they change), source_ts last.
 */
function mysqlNewer(values: string[], updatedAt: boolean): string {
  const newer = 'VALUES(source_ts) >= source_ts';
  const set = values.map((c) => `${name(c)} = IF(${newer}, VALUES(${name(c)}), ${name(c)})`);
  const same = values.map((c) => `${name(c)} <=> VALUES(${name(c)})`).join(' AND ');
  const changed = updatedAt ? [`updated_at = IF(${newer} AND NOT (${same}), VALUES(updated_at), updated_at)`] : [];
  return ` ON DUPLICATE KEY UPDATE ${[...changed, ...set, 'source_ts = GREATEST(VALUES(source_ts), source_ts)'].join(', ')}`;
}

/** On conflict, the stored row takes the incoming values unless it was written by a newer call (SET reads the stored row). */
function sqliteNewer(table: string, key: string[], values: string[], updatedAt: boolean): string {
  const set = [...values, 'source_ts'].map((c) => `${name(c)} = excluded.${name(c)}`);
  const same = values.map((c) => `${name(c)} IS excluded.${name(c)}`).join(' AND ');
  if (updatedAt) set.push(`updated_at = CASE WHEN ${same} THEN updated_at ELSE excluded.updated_at END`);
  return ` ON CONFLICT (${key.map(name).join(', ')}) DO UPDATE SET ${set.join(', ')} WHERE ${name(table)}.source_ts <= excluded.source_ts`;
}
