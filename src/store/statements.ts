import { dialectOf, sendLater, sendPacket, takeLater, type Db, type Trx } from './db.js';

/** What a statement gave back: the rows it read (none for a write), and how many rows it wrote. */
export interface StatementResult<R> {
  rows: R[];
  changes: number;
  /** MySQL's LAST_INSERT_ID() after a write (what LAST_INSERT_ID(expr) set); absent on SQLite. */
  insertId?: number;
}

type Params = (string | number | null)[];

/** The drivers as knex hands them over (mysql2's callback connection, better-sqlite3's database), the little used here. */
interface MysqlConnection {
  query(sql: string, params: Params, done: (err: Error | null, result: unknown) => void): void;
  execute(sql: string, params: Params, done: (err: Error | null, result: unknown) => void): void;
}
interface SqliteConnection {
  prepare(sql: string): { reader: boolean; all(params: Params): unknown[]; run(params: Params): { changes: number } };
}

/**
 * Runs one SQL statement straight on the driver of the transaction's (or the pool's) connection,
 * past knex's query builder and runner, which cost more than the database for the few single-row
 * statements of every marketplace call and for the thousands of bindings of a bulk insert. The SQL
 * must suit both stores (backticks quote names in both) unless the caller picks it by dialectOf.
 * `prepared` sends MySQL the values apart from the SQL even for a few values (see PREPARED_FROM_VALUES):
 * for megabytes of text, which the driver would otherwise escape into the SQL character by character.
 * Only for statements of a few shapes: each shape stays prepared on the connection.
 */
export async function runStatement<R = Record<string, unknown>>(db: Db | Trx, sql: string, params: Params, options: { prepared?: boolean } = {}): Promise<StatementResult<R>> {
  const inTransaction = (db as Trx).isTransaction === true;
  const conn: unknown = await db.client.acquireConnection();
  try {
    if (dialectOf(db) === 'sqlite') {
      announce(db, sql, params);
      return onSqlite<R>(conn as SqliteConnection, sql, params);
    }
    const waiting = takeLater(db);
    if (options.prepared === true || params.length >= PREPARED_FROM_VALUES) {
      // A prepared statement goes alone: the waiting ones first, in a packet of their own, and it
      // only once they succeeded (after a failure, a deadlock say, the transaction may be gone and
      // the statement would commit on its own).
      if (waiting.length > 0) await sendPacket(db.client, conn, waiting);
      announce(db, sql, params);
      return await answerOf<R>(conn as MysqlConnection, 'execute', sql, params);
    }
    if (waiting.length > 0) return resultOf<R>(((await sendPacket(db.client, conn, [...waiting, { sql, params }], 1)) as unknown[])[0]);
    announce(db, sql, params);
    return await answerOf<R>(conn as MysqlConnection, 'query', sql, params);
  } finally {
    // A transaction's connection is its own until it ends; a pool's goes back at once.
    if (!inTransaction) await db.client.releaseConnection(conn);
  }
}

/**
 * Several statements whose answers the caller reads, in order: on MySQL in one packet (with the
 * writes waiting for it, see sendLater), as text. The first that fails fails them all.
 */
export async function runStatements<R = Record<string, unknown>>(db: Db | Trx, statements: Statement[]): Promise<StatementResult<R>[]> {
  if (dialectOf(db) === 'sqlite' || statements.length < 2) {
    const results: StatementResult<R>[] = [];
    for (const { sql, params } of statements) results.push(await runStatement<R>(db, sql, params));
    return results;
  }
  const inTransaction = (db as Trx).isTransaction === true;
  const conn: unknown = await db.client.acquireConnection();
  try {
    const waiting = takeLater(db);
    const answers = (await sendPacket(db.client, conn, [...waiting, ...statements], statements.length)) as unknown[];
    return answers.map((a) => resultOf<R>(a));
  } finally {
    if (!inTransaction) await db.client.releaseConnection(conn);
  }
}

/**
 * A write whose answer the call does not read, and whose failure fails the whole call (an audit
 * record, an answer stored, events): in a MySQL transaction it goes with the next statement or
 * the COMMIT, in their packet (see sendLater); elsewhere at once.
 */
export async function runLater(db: Db | Trx, sql: string, params: Params): Promise<void> {
  const waiting = sendLater(db);
  if (waiting && params.length < PREPARED_FROM_VALUES) waiting.push({ sql, params });
  else await runStatement(db, sql, params);
}

/** Announced as knex announces its own, to whoever listens on the knex instance (tests count statements). */
const announce = (db: Db | Trx, sql: string, params: Params) => db.client.emit('query', { sql, bindings: params });

/**
 * From this many values on, a statement goes as a prepared one (mysql2 keeps it per connection, see
 * openDb): its values travel in binary, neither escaped into the text here nor parsed from it by
 * the server, which for the hundreds of rows of a bulk insert costs more than writing them.
 * Smaller statements are sent as text, a round trip each rather than a prepare's two on first use.
 */
const PREPARED_FROM_VALUES = 200;

function answerOf<R>(conn: MysqlConnection, send: 'query' | 'execute', sql: string, params: Params): Promise<StatementResult<R>> {
  return new Promise((resolve, reject) => conn[send](sql, params, (err, result) => (err ? reject(err) : resolve(resultOf<R>(result)))));
}

/** A mysql2 result as a StatementResult: rows for a read, the counts of a write. */
function resultOf<R>(result: unknown): StatementResult<R> {
  if (Array.isArray(result)) return { rows: result as R[], changes: 0 };
  const { affectedRows, insertId } = result as { affectedRows: number; insertId: number };
  return { rows: [], changes: affectedRows, insertId };
}

function onSqlite<R>(conn: SqliteConnection, sql: string, params: Params): StatementResult<R> {
  const statement = conn.prepare(sql);
  return statement.reader ? { rows: statement.all(params) as R[], changes: 0 } : { rows: [], changes: statement.run(params).changes };
}

/**
 * A locking read's clause: the row stays as read until the call commits ('share': others may read
 * it so too; 'update': only this call). SQLite runs one writer at a time and needs none.
 */
export function lockClause(db: Db | Trx, mode: 'share' | 'update'): string {
  if (dialectOf(db) !== 'mysql') return '';
  return mode === 'update' ? ' FOR UPDATE' : ' LOCK IN SHARE MODE';
}

/** A statement's SQL and the values it binds, in order. */
export interface Statement {
  sql: string;
  params: Params;
}

/**
 * `INSERT INTO t (a, b) VALUES (?, ?), …` for `rows` rows of these columns, and the rows' values in
 * that order. `expressions` puts SQL with one placeholder in a column's place (its value is bound there).
 */
export function insertStatement(table: string, columns: string[], rows: Record<string, string | number | null>[], expressions: Record<string, string> = {}): Statement {
  const tuple = `(${columns.map((c) => expressions[c] ?? '?').join(', ')})`;
  // Sized once: a 2,000-row chunk has 20,000 values, and growing the list by pushes cost a third more.
  const params: Params = new Array(rows.length * columns.length);
  let at = 0;
  for (const r of rows) for (const c of columns) params[at++] = r[c] ?? null;
  return { sql: `INSERT INTO ${name(table)} (${columns.map(name).join(', ')}) VALUES ${Array(rows.length).fill(tuple).join(', ')}`, params };
}

/** A table or column name quoted so both stores read it as a name whatever it is (SQLite takes MySQL's backticks). */
export const name = (identifier: string) => `\`${identifier}\``;

/**
 * Inserts the row unless its unique key is taken; true when this call inserted it. A concurrent
 * twin waits on the key's lock until the first commits, then finds the key taken.
 */
export async function insertOnce(trx: Trx, table: string, row: Record<string, string | number | null>): Promise<boolean> {
  const { sql, bindings } = trx(table).insert(row).onConflict().ignore().toSQL();
  const result = await trx.raw(sql, bindings);
  // The affected-row count is in the driver's answer: mysql2 [ResultSetHeader, …], better-sqlite3 { changes }.
  return dialectOf(trx) === 'mysql' ? result[0].affectedRows === 1 : result.changes === 1;
}
