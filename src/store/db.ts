import knex, { type Knex } from 'knex';
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../log.js';
import { startCheckpointer } from './checkpointer.js';

export type Db = Knex;
export type Trx = Knex.Transaction;
export type Dialect = 'mysql' | 'sqlite';

export interface DbOptions {
  /** mysql://user:pass@host:port/db, or undefined for the embedded SQLite file. */
  databaseUrl?: string;
  sqliteFile: string;
  mysqlPoolMax?: number;
  /** Where knex's own warnings go (else the console). */
  log?: Logger;
}

/** The session's sql_mode without NO_BACKSLASH_ESCAPES, the rest as the server set it. */
const BACKSLASH_ESCAPES = "SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(CONCAT(',', @@SESSION.sql_mode, ','), ',NO_BACKSLASH_ESCAPES,', ','))";

/**
 * knex's warnings as log lines. Its advice on a held migration lock names a command this project
 * does not have; the start-up reports that wait itself (see migrateLatest).
 */
function knexLog(log: Logger | undefined): Knex.Config['log'] {
  if (!log) return undefined;
  const line = (level: 'warn' | 'error' | 'debug') => (message: unknown) => {
    const text = String(message);
    if (level === 'warn' && /take lock|migrate:unlock/.test(text)) return;
    log[level]({ knex: text.slice(0, 300) }, 'knex');
  };
  return { warn: line('warn'), error: line('error'), deprecate: line('warn'), debug: line('debug') };
}

export function openDb(options: DbOptions): Db {
  if (options.databaseUrl) {
    return knex({
      client: 'mysql2',
      // A failed query's error message carries its SQL with placeholders, never the bound values.
      compileSqlOnError: false,
      connection: {
        uri: options.databaseUrl.replace(/^mysql2:/, 'mysql:'),
        charset: 'utf8mb4',
        timezone: 'Z',
        // Marketplace ids compare exactly; JS numbers stay numbers (our BIGINTs are epoch ms).
        supportBigNumbers: true,
        bigNumberStrings: false,
        // Bulk inserts go prepared (see runStatement), one statement per row count: a few dozen
        // per connection stay, well within the server's max_prepared_stmt_count for every pool.
        maxPreparedStatements: 64,
        // A call's writes that answer nothing travel with its next statement, one packet for
        // several (see sendLater). Every value is bound (placeholders, escaped by the driver):
        // no text from a request is ever spliced into SQL, with or without this.
        multipleStatements: true,
      } as Knex.MySql2ConnectionConfig & { uri: string; maxPreparedStatements: number; multipleStatements: boolean },
      pool: {
        min: 0,
        max: options.mysqlPoolMax ?? 10,
        // The driver escapes values with backslashes: a server set to NO_BACKSLASH_ESCAPES would read
        // a quote in a value as the end of the string (with several statements to a packet, worse).
        afterCreate(conn: MysqlTextConnection, done: (err: Error | null, conn: unknown) => void) {
          conn.query(BACKSLASH_ESCAPES, [], (err) => done(err, conn));
        },
      },
      log: knexLog(options.log),
    });
  }
  const file = options.sqliteFile !== ':memory:';
  if (file) keepPrivate(options.sqliteFile);
  // SQLite's default, until the checkpoint worker runs (see startCheckpointer).
  let autoCheckpointPages = 1000;
  const db = knex({
    client: 'better-sqlite3',
    compileSqlOnError: false,
    connection: { filename: options.sqliteFile },
    useNullAsDefault: true,
    log: knexLog(options.log),
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        conn.pragma('journal_mode = WAL');
        conn.pragma('synchronous = NORMAL');
        conn.pragma('busy_timeout = 5000');
        conn.pragma(`wal_autocheckpoint = ${autoCheckpointPages}`);
        keepPrepared(conn);
        done(null, conn);
      },
    },
  });
  if (!file) return db;
  autoCheckpointPages = 0;
  const checkpointer = startCheckpointer(options.sqliteFile, (err) => {
    const message = 'SQLite checkpoint worker stopped; the writer checkpoints again';
    if (options.log) options.log.warn({ err: err.message }, message);
    else console.warn(`${message}: ${err.message}`);
    autoCheckpointPages = 1000;
    db.raw(`PRAGMA wal_autocheckpoint = ${autoCheckpointPages}`).catch(() => {});
  });
  // knex's destroy() ends in its client's (the instance's own is read-only).
  const client = db.client as { destroy(callback?: unknown): Promise<void> };
  const destroy = client.destroy.bind(client);
  client.destroy = async (callback) => {
    await checkpointer.stop();
    return destroy(callback);
  };
  return db;
}

/**
 * The SQLite file holds sealed secrets and session tokens: its folder is created mode 0700 and the
 * file 0600 before the driver opens it (SQLite gives its -wal and -shm files the database file's
 * mode). A folder that already exists is left as it is: it may be shared (a /tmp).
 */
function keepPrivate(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/**
 * Where reads that need not see the writer's open transaction go. SQLite has one writer, and a
 * long write (a 100,000-department sync) holds it for a second or more; in WAL mode a second,
 * read-only connection reads the last committed state meanwhile, between the writer's statements
 * (see betweenStatements). On MySQL the pool serves reads and writes alike.
 */
export function openReads(options: DbOptions, writer: Db): Db {
  if (options.databaseUrl || options.sqliteFile === ':memory:') return writer;
  return knex({
    client: 'better-sqlite3',
    connection: { filename: options.sqliteFile, options: { readonly: true } },
    useNullAsDefault: true,
    compileSqlOnError: false,
    pool: {
      min: 0,
      max: 1,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        keepPrepared(conn);
        // A reader in WAL mode waits only in rare moments (the log being reset): briefly, it blocks the thread.
        conn.pragma('busy_timeout = 200');
        done(null, conn);
      },
    },
  });
}

/** A boolean column as read: MySQL's TINYINT gives 1, SQLite 1 or true, some aggregates '1'. */
export const bool = (v: unknown) => v === 1 || v === true || v === '1';

/** Values per `IN (…)` list: one statement each, well below what either driver allows in placeholders. */
export const IN_LIST_CHUNK = 1_000;

/** The little of a better-sqlite3 connection used here (this project has no @types/better-sqlite3). */
interface SqliteConnection {
  pragma(s: string): unknown;
  prepare(sql: string): unknown;
  /** Whether SQLite has a transaction open (it ends one by itself after some errors). */
  inTransaction: boolean;
}

/** How much SQL a connection keeps prepared: hundreds of small statements and the few bulk inserts of a full sync. */
const KEPT_SQL_CHARS = 2_000_000;

/**
 * knex's better-sqlite3 client prepares every query anew, which costs about as much as running a
 * small one: the connection keeps its most recently used statements prepared instead (a full
 * sync's 2,000-row insert is the same statement chunk after chunk). A statement holds nothing
 * between runs (better-sqlite3 resets it), and SQLite re-prepares it by itself should the schema change.
 */
function keepPrepared(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const kept = new Map<string, unknown>();
  let chars = 0;
  conn.prepare = (sql) => {
    const statement = kept.get(sql) ?? prepare(sql);
    if (sql.length > KEPT_SQL_CHARS) return statement;
    // Map order is insertion order: re-inserting marks it the most recently used, the first key the least.
    if (kept.delete(sql)) chars -= sql.length;
    kept.set(sql, statement);
    for (chars += sql.length; chars > KEPT_SQL_CHARS; ) {
      const oldest = kept.keys().next().value!;
      kept.delete(oldest);
      chars -= oldest.length;
    }
    return statement;
  };
}

export function dialectOf(db: Db | Trx): Dialect {
  return db.client.config.client === 'mysql2' ? 'mysql' : 'sqlite';
}

const RETRYABLE_MYSQL = new Set([1213 /* deadlock */, 1205 /* lock wait timeout */]);

/**
 * SQLITE_BUSY and its extended codes. SQLITE_BUSY_SNAPSHOT comes at once, whatever the busy timeout,
 * when a transaction that read first goes to write after another process (a reseal, a backup)
 * committed meanwhile: run again, it reads the new state.
 */
const sqliteBusy = (code: unknown) => typeof code === 'string' && code.startsWith('SQLITE_BUSY');

function isRetryable(err: unknown): boolean {
  const e = err as { errno?: number; code?: string };
  return (e?.errno !== undefined && RETRYABLE_MYSQL.has(e.errno)) || sqliteBusy(e?.code) || err instanceof OverdueMember;
}

interface CommitHooks {
  before: (() => Promise<void>)[];
  after: (() => void)[];
}
const commitHooks = new WeakMap<Trx, CommitHooks>();

/**
 * Work a module must do last in a transaction run by inTransaction (`before`, after everything
 * else the transaction does: the event outbox takes its sequence numbers there, holding their lock
 * only until the commit), and what it does once the transaction has committed (`after`). A
 * transaction that is re-run starts with no hooks: each attempt registers its own.
 */
export function onCommit(trx: Trx, hooks: { before?: () => Promise<void>; after?: () => void }): void {
  const registered = commitHooks.get(trx) ?? { before: [], after: [] };
  if (hooks.before) registered.before.push(hooks.before);
  if (hooks.after) registered.after.push(hooks.after);
  commitHooks.set(trx, registered);
}

/**
 * One marketplace call = one transaction. InnoDB may pick concurrent duplicate upserts as
 * deadlock victims; the whole call is then re-run, which is safe because every write is an upsert.
 * On SQLite the transaction may share its COMMIT with others (see inGroup): it is re-run too when
 * that COMMIT was busy, or was given up for another member's passed deadline. `long` says it will
 * hold the writer a while (a large call): it then shares its COMMIT only with transactions after it.
 */
export async function inTransaction<T>(db: Db, work: (trx: Trx) => Promise<T>, options: { attempts?: number; until?: number; long?: boolean } = {}): Promise<T> {
  const { attempts = 6, until = Infinity, long = false } = options;
  for (let attempt = 1; ; attempt++) {
    let after: (() => void)[] = [];
    let result: T;
    try {
      result = await transaction(db, until, long, async (trx) => {
        const value = await work(trx);
        const hooks = commitHooks.get(trx);
        for (const hook of hooks?.before ?? []) await hook();
        after = hooks?.after ?? [];
        return value;
      });
    } catch (err) {
      // No new attempt once the caller's answer is due: nobody waits for it any more.
      if (attempt >= attempts || !isRetryable(err) || Date.now() >= until) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
      continue;
    }
    for (const hook of after) hook();
    return result;
  }
}

/** The little of knex's client a transaction uses (its typings leave most of it out). */
interface TransactionClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<void>;
  query(connection: unknown, sql: string): Promise<unknown>;
  _query(connection: unknown, query: unknown): Promise<unknown>;
  queryBuilder(): Knex.QueryBuilder;
  raw(...args: unknown[]): Knex.Raw;
  emit(event: 'query', query: { sql: string; bindings: unknown[] }): void;
}

/** How long a ROLLBACK may take before the connection goes back anyway (knex waits as long). */
const ROLLBACK_TIMEOUT_MS = 5_000;

/** A statement waiting for its transaction's next one (see sendLater). */
export interface LaterStatement {
  sql: string;
  params: (string | number | null)[];
}
const later = new WeakMap<Trx, LaterStatement[]>();
const dueAt = new WeakMap<Trx, number>();

/** When the caller stops waiting for the transaction (inTransaction's `until`): Infinity if never. */
export const answerDueAt = (trx: Trx) => dueAt.get(trx) ?? Infinity;

const boundedWaits = new WeakSet<Trx>();
const RESET_LOCK_WAIT: LaterStatement = { sql: 'SET SESSION innodb_lock_wait_timeout = DEFAULT', params: [] };

/**
 * From the next statement sent on (see sendLater), a MySQL transaction waits at most `seconds` for
 * a row lock (the statement then fails, and the transaction is rolled back and may run again).
 * The connection's own limit is back once the transaction ends, however it ends.
 */
export function lockWaitAtMost(trx: Trx, seconds: number): void {
  const waiting = later.get(trx);
  if (!waiting) return;
  waiting.push({ sql: 'SET SESSION innodb_lock_wait_timeout = ?', params: [Math.max(1, Math.floor(seconds))] });
  boundedWaits.add(trx);
}

/**
 * Statements of a MySQL transaction that answer nothing the call reads (its BEGIN, its audit
 * record, its events) wait here and travel with the transaction's next statement or its COMMIT,
 * in one packet: each round trip costs the server's thread a socket write and a wake-up, more than
 * such a statement costs the database. A failure among them fails the statement they travel with
 * (so callers defer only writes whose failure fails the whole call). Undefined where statements
 * go at once: SQLite (no round trips), MySQL outside a transaction.
 */
export function sendLater(db: Db | Trx): LaterStatement[] | undefined {
  return later.get(db as Trx);
}

/** The waiting statements, taken off the list: the next packet carries them. */
export function takeLater(db: Db | Trx): LaterStatement[] {
  const list = later.get(db as Trx);
  return list ? list.splice(0) : [];
}

/** What a mysql2 connection does here: text statements, several in one packet. */
interface MysqlTextConnection {
  query(sql: string, params: unknown[], done: (err: Error | null, result: unknown) => void): void;
}

/**
 * Sends the statements as one packet (MySQL stops at the first that fails, and the packet fails
 * with its error) and answers the results of the last `answered` of them (none: undefined).
 * Listeners on the knex instance see each statement, as they see knex's own.
 */
export function sendPacket(client: { emit: TransactionClient['emit'] }, connection: unknown, statements: LaterStatement[], answered = 0): Promise<unknown[] | undefined> {
  for (const s of statements) client.emit('query', { sql: s.sql, bindings: s.params });
  const sql = statements.map((s) => s.sql).join(';\n');
  const params = statements.flatMap((s) => s.params);
  return new Promise((resolve, reject) =>
    (connection as MysqlTextConnection).query(sql, params, (err, result) => {
      if (err) return reject(err);
      if (answered === 0) return resolve(undefined);
      // One statement's result comes as is; several come as a list, one result each.
      resolve(statements.length === 1 ? [result] : (result as unknown[]).slice(statements.length - answered));
    }),
  );
}

/**
 * One transaction: committed when `work` resolves, rolled back when it throws. On MySQL each has a
 * connection of the pool to itself; SQLite's single writer runs them in groups (see inGroup).
 */
function transaction<T>(db: Db, until: number, long: boolean, work: (trx: Trx) => Promise<T>): Promise<T> {
  const client = db.client as TransactionClient;
  return dialectOf(db) === 'mysql' ? alone(client, until, work) : inGroup(client, until, long, work);
}

/**
 * A transaction as the store modules see it, over `connection`. knex's own (db.transaction) builds
 * a whole knex instance for each (a hundred methods defined anew, a client copy with its
 * listeners), which costs a small marketplace call more than several of its statements. This one
 * is a query builder over a client that lends the connection (everything else is the pool's
 * client's) and, as knex's does, refuses any query once `end` is called. Of a knex transaction it
 * has what the store modules use: the call, `raw`, `client`, `isTransaction`. With `waiting` (MySQL),
 * statements may wait for the next one (sendLater), which a query knex builds sends first.
 */
function lend(client: TransactionClient, connection: unknown, until: number, waiting?: LaterStatement[]): { trx: Trx; end: () => void } {
  let ended = false;
  const flush = () => {
    const statements = takeLater(trx);
    return statements.length > 0 ? sendPacket(client, connection, statements) : Promise.resolve(undefined);
  };
  const lent: TransactionClient = Object.create(client, {
    transacting: { value: true },
    acquireConnection: { value: () => (ended ? Promise.reject(new Error('Transaction query already complete')) : Promise.resolve(connection)) },
    releaseConnection: { value: () => Promise.resolve() },
    // The waiting statements go first, and the query only once they succeeded (see runStatement).
    ...(waiting && { _query: { value: async (conn: unknown, query: unknown) => (await flush(), client._query.call(lent, conn, query)) } }),
  });
  const builder = (table?: string) => (table ? lent.queryBuilder().table(table) : lent.queryBuilder());
  const trx = Object.assign(builder, { client: lent, isTransaction: true, raw: (...args: unknown[]) => lent.raw(...args) }) as unknown as Trx;
  if (waiting) later.set(trx, waiting);
  dueAt.set(trx, until);
  return { trx, end: () => (ended = true) };
}

/**
 * A MySQL transaction on a connection of its own. BEGIN, COMMIT and ROLLBACK are announced as knex
 * announces them, to the same listeners; the BEGIN waits for the first statement and goes in its
 * packet, and the writes still waiting at the end go in the COMMIT's (sendLater).
 */
async function alone<T>(client: TransactionClient, until: number, work: (trx: Trx) => Promise<T>): Promise<T> {
  const connection = await client.acquireConnection();
  const begin: LaterStatement = { sql: 'BEGIN', params: [] };
  const { trx, end } = lend(client, connection, until, [begin]);
  try {
    let value: T;
    try {
      value = await work(trx);
    } finally {
      end();
    }
    await sendPacket(client, connection, [...takeLater(trx), { sql: 'COMMIT', params: [] }, ...(boundedWaits.has(trx) ? [RESET_LOCK_WAIT] : [])]);
    return value;
  } catch (err) {
    // Also after a failed COMMIT: the connection is reused. One whose BEGIN never left has nothing to roll back.
    if (later.get(trx)?.[0] !== begin) await rollback(client, connection);
    if (boundedWaits.has(trx)) await sendPacket(client, connection, [RESET_LOCK_WAIT]).catch(() => {});
    throw err;
  } finally {
    end();
    // A write sent later from here on would be lost: it is refused as any statement is (runLater runs it now).
    later.delete(trx);
    await client.releaseConnection(connection);
  }
}

/** A transaction waiting to run in a group, and how its caller is told the outcome. */
interface Member {
  work: (trx: Trx) => Promise<unknown>;
  /** The caller's deadline (inTransaction's `until`): past it, the member must not commit. */
  until: number;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** A group's members not yet run, in arrival order; `admitted` counts those run too. */
interface Group {
  waiting: Member[];
  admitted: number;
}

/**
 * A member's deadline passed after its own check (its work's end) while later members ran: the
 * group rolls back rather than commit a call already answered "retry", and every member runs its
 * work again (the overdue one's inTransaction then gives up: its time is over).
 */
class OverdueMember extends Error {
  constructor() {
    super('a transaction of the group passed its deadline before the commit');
  }
}

/**
 * Bounds of a group. Each member's answer waits for the members after it, so no member starts in
 * a group older than GROUP_MAX_MS: 10 ms holds a few dozen small calls (about 0.3 ms each on the
 * writer), enough to spread the COMMIT (a write() per dirty page, most pages shared by the calls)
 * thin, and little next to a call's wait for the writer at any real concurrency. GROUP_MAX_MEMBERS
 * bounds the work a failed COMMIT sends back to be done again, and the dirty pages SQLite's cache holds.
 */
const GROUP_MAX_MS = 10;
const GROUP_MAX_MEMBERS = 64;

/** The group that transactions arriving now join, per client (one writer connection each). */
const openGroups = new WeakMap<TransactionClient, Group>();

/**
 * Group commit on SQLite. Its one writer connection runs one transaction at a time anyway, and the
 * COMMIT costs about a quarter of a small call. So transactions that arrive while one runs join it:
 * each member's work runs in a savepoint of its own, one member at a time in arrival order, and is
 * undone alone if it throws (that member alone is told the error); once no member waits (or a bound
 * is reached) the group commits once and only then tells every member it committed. A failed
 * COMMIT is every member's error (a busy one: each inTransaction runs its own work again).
 */
function inGroup<T>(client: TransactionClient, until: number, long: boolean, work: (trx: Trx) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const member: Member = { work, until, resolve: resolve as (value: unknown) => void, reject };
    const open = openGroups.get(client);
    // A long one (a large call) starts a group of its own, after the open one: the calls before it
    // commit without waiting for it. (Its group waits for the writer connection meanwhile.)
    if (!open || long) return startGroup(client, [member]);
    open.waiting.push(member);
    if (++open.admitted >= GROUP_MAX_MEMBERS) openGroups.delete(client);
  });
}

function startGroup(client: TransactionClient, waiting: Member[]): void {
  const group: Group = { waiting, admitted: waiting.length };
  openGroups.set(client, group);
  void runGroup(client, group);
}

/** Takes no more members; those not run yet are returned. */
function close(client: TransactionClient, group: Group): Member[] {
  if (openGroups.get(client) === group) openGroups.delete(client);
  return group.waiting.splice(0);
}

/** Members a group will not run: ahead of those of the group open now, else in a group of their own. */
function handOver(client: TransactionClient, left: Member[]): void {
  if (left.length === 0) return;
  const open = openGroups.get(client);
  if (!open) return startGroup(client, left);
  open.waiting.unshift(...left);
  open.admitted += left.length;
}

/** One turn of the event loop, its I/O included: requests that came in meanwhile reach their transaction and join. */
const oneTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

async function runGroup(client: TransactionClient, group: Group): Promise<void> {
  let connection: unknown;
  try {
    connection = await client.acquireConnection();
    await client.query(connection, 'BEGIN;');
  } catch (err) {
    // As a transaction of its own would: every member is told, none tried again here.
    if (connection !== undefined) await giveBack(client, connection);
    for (const member of close(client, group)) member.reject(err);
    return;
  }
  const done: { member: Member; value: unknown }[] = [];
  let running: Member | undefined;
  try {
    const began = Date.now();
    for (;;) {
      if (group.waiting.length === 0 && openGroups.get(client) === group) await oneTurn();
      if (group.waiting.length === 0 || Date.now() - began >= GROUP_MAX_MS) break;
      running = group.waiting.shift()!;
      const outcome = await runMember(client, connection, running);
      if (outcome.ok) done.push({ member: running, value: outcome.value });
      else running.reject(outcome.err);
      running = undefined;
      // A busy error means this transaction's snapshot is stale (another process committed since
      // it began): the members after would fail the same, so they start afresh after this commit.
      if (!outcome.ok && isRetryable(outcome.err)) break;
    }
    handOver(client, close(client, group));
    const now = Date.now();
    if (done.some(({ member }) => now >= member.until)) throw new OverdueMember();
    await client.query(connection, 'COMMIT;');
  } catch (err) {
    // Also after a failed COMMIT: SQLite keeps the transaction open then, and the connection is reused.
    handOver(client, close(client, group));
    await rollback(client, connection);
    await giveBack(client, connection);
    for (const { member } of done) member.reject(err);
    running?.reject(err);
    return;
  }
  await giveBack(client, connection);
  for (const { member, value } of done) member.resolve(value);
}

/** The connection back to the pool; a pool already destroyed (the store closing) has nothing to take it back. */
async function giveBack(client: TransactionClient, connection: unknown): Promise<void> {
  try {
    await client.releaseConnection(connection);
  } catch {
    // Nothing to do: the connection went with its pool.
  }
}

/**
 * One member's work in its savepoint. Its failure is its own ({ ok: false }) unless SQLite ended
 * the whole transaction (some I/O and out-of-space errors do) or cannot undo the savepoint: then
 * the group's earlier members lost their work too, and runMember throws for the group.
 */
async function runMember(client: TransactionClient, connection: unknown, member: Member): Promise<{ ok: true; value: unknown } | { ok: false; err: unknown }> {
  await client.query(connection, 'SAVEPOINT member;');
  const { trx, end } = lend(client, connection, member.until);
  try {
    let value: unknown;
    try {
      value = await member.work(trx);
    } finally {
      end();
    }
    await client.query(connection, 'RELEASE member;');
    return { ok: true, value };
  } catch (err) {
    if (!(connection as SqliteConnection).inTransaction) throw err;
    await client.query(connection, 'ROLLBACK TO member;');
    await client.query(connection, 'RELEASE member;');
    return { ok: false, err };
  }
}

/** ROLLBACK, its own failure or delay aside: the error that ended the transaction is the one told. */
async function rollback(client: TransactionClient, connection: unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ROLLBACK_TIMEOUT_MS)));
  await Promise.race([client.query(connection, 'ROLLBACK').catch(() => {}), late]);
  clearTimeout(timer);
}

/**
 * The store's ways of saying it is not there (yet, or for now): MySQL starting, restarting, out of
 * reach or out of connections, a pool with none free in time, SQLite locked by another process.
 * Start-up waits these out; a marketplace call answers them with "retry".
 */
const NOT_ANSWERING = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE',
  'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_SERVER_SHUTDOWN', 'SQLITE_BUSY',
]);

export function storeNotAnswering(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown } | undefined;
  return e?.name === 'KnexTimeoutError' || sqliteBusy(e?.code) || (typeof e?.code === 'string' && NOT_ANSWERING.has(e.code));
}
