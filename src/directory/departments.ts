import type { Knex } from 'knex';
import { dialectOf, IN_LIST_CHUNK, type Db, type Trx } from '../store/db.js';
import { upsertNewer, type Row } from '../store/upsertNewer.js';
import type { ParentMap } from './orgTree.js';
import { onePage, readInPages, withChanges, type ChangeFilter, type Page } from '../store/pages.js';
import { insertStatement, lockClause, runStatement, runStatements, type Statement } from '../store/statements.js';
import type { DepartmentRow } from '../store/rows.js';

/** The departments table's SQL: what the department syncs read and write, and the directory's pages of it. */

export type TenantKey = { instance_id: string; tenant_id: string };

export type StoredDepartment = Pick<DepartmentRow, 'org_code' | 'org_name' | 'parent_code' | 'deleted' | 'test_flag' | 'source_ts'>;

/**
 * Every department of the tenant, tombstones included. Locked on MySQL until the call commits, so
 * what a full sync decides from them still holds when it writes (SQLite runs one writer anyway).
 */
export async function tenantDepartments(trx: Trx, key: TenantKey): Promise<StoredDepartment[]> {
  return readInPages<StoredDepartment>(
    () => trx('departments').where(key).select('org_code', 'org_name', 'parent_code', 'deleted', 'test_flag', 'source_ts').forUpdate(),
    'org_code',
  );
}

const DEPARTMENT_BY_CODE = 'SELECT org_code, org_name, parent_code, deleted, test_flag, source_ts FROM departments WHERE instance_id = ? AND tenant_id = ? AND org_code = ?';

/** The tenant's department of this code (also a tombstone), locked until the call commits. */
async function lockedDepartment(trx: Trx, key: TenantKey, code: string): Promise<StoredDepartment | undefined> {
  return (await runStatement<StoredDepartment>(trx, DEPARTMENT_BY_CODE + lockClause(trx, 'update'), [key.instance_id, key.tenant_id, code])).rows[0];
}

/**
 * The department `row` names as stored before this call (also a tombstone), locked until the call
 * commits; a department not stored yet is inserted as `row` at once (`inserted`), and the caller
 * writes only over one that was. On MySQL a locking read of a missing row locks the gap around it,
 * and concurrent calls adding departments to that gap would deadlock each other on their inserts:
 * so an add (`expected` 'new') tries its insert first and reads the row, locked, only when the key
 * is taken. A change or a delete ('stored'), whose row is mostly there, reads it locked at once (one
 * that overtook its add locks the gap until it commits); an insert that meets a row added meanwhile
 * reads it locked instead.
 */
export async function departmentBeforeWrite(trx: Trx, row: Row & TenantKey & { org_code: string }, expected: 'new' | 'stored'): Promise<{ stored?: StoredDepartment; inserted: boolean }> {
  if (expected === 'stored') {
    const seen = await lockedDepartment(trx, row, row.org_code);
    if (seen) return { stored: seen, inserted: false };
  }
  const { sql, params: values } = insertStatement('departments', Object.keys(row), [row]);
  if (dialectOf(trx) === 'mysql') {
    // A plain INSERT that meets a taken key keeps a shared lock on the row, and two calls that
    // both then lock it for writing deadlock each other (concurrent resends do). This form locks
    // the row exclusively at once and leaves it as it is; LAST_INSERT_ID(0) says it was there
    // (the answer's insert id is then 0, else the new row's id).
    const { insertId } = await runStatement(trx, `${sql} ON DUPLICATE KEY UPDATE id = IF(LAST_INSERT_ID(0), id, id)`, values);
    return insertId ? { inserted: true } : { stored: await lockedDepartment(trx, row, row.org_code), inserted: false };
  }
  try {
    await runStatement(trx, sql, values);
    return { inserted: true };
  } catch (err) {
    // SQLite's failed statement leaves the transaction as it was.
    const code = (err as { code?: string }).code;
    if (code !== 'ER_DUP_ENTRY' && code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
    return { stored: await lockedDepartment(trx, row, row.org_code), inserted: false };
  }
}

/** Upserts department rows under the order rule (see upsertNewer). */
export async function writeDepartments(trx: Trx, rows: Row[]): Promise<void> {
  await upsertNewer(trx, 'departments', rows, ['instance_id', 'tenant_id', 'org_code']);
}

/**
 * Marks departments deleted as of `ts`: those named, or, without names, every one. Either way only
 * rows older than `ts` are touched (the order rule).
 */
export async function removeDepartments(trx: Trx, key: TenantKey, ts: string, codes?: string[]): Promise<void> {
  const older = () => trx('departments').where(key).andWhere('source_ts', '<', ts);
  const removed = { deleted: 1, source_ts: ts, updated_at: Date.now() };
  if (!codes) {
    // Tombstones are re-stamped too, but their content stays: updated_at only where one goes.
    await older().update({ ...removed, updated_at: trx.raw('CASE WHEN deleted = 0 THEN ? ELSE updated_at END', [removed.updated_at]) });
    return;
  }
  for (let i = 0; i < codes.length; i += IN_LIST_CHUNK) {
    await older()
      .whereIn('org_code', codes.slice(i, i + IN_LIST_CHUNK))
      .update(removed);
  }
}

/** Stamps every department older than `ts` with it, values untouched: a newer snapshot said the same. */
export async function restampDepartments(trx: Trx, key: TenantKey, ts: string): Promise<void> {
  await trx('departments').where(key).andWhere('source_ts', '<', ts).update({ source_ts: ts });
}

/**
 * Whether a live department names `code` as its parent. One that none does is on no loop, so a move
 * of it needs no walk up. The read is locked like lockedAncestors': on MySQL it also keeps the
 * range of `code`'s children locked, so a concurrent move that would put a department under it
 * waits for this call, and then walks up through what it wrote.
 */
const liveChildStatement = (trx: Trx, key: TenantKey, code: string): Statement => ({
  sql: `SELECT org_code FROM departments WHERE instance_id = ? AND tenant_id = ? AND parent_code = ? AND deleted = 0 LIMIT 1${lockClause(trx, 'share')}`,
  params: [key.instance_id, key.tenant_id, code],
});

/**
 * Whether `code` has live children (liveChildStatement) and the ancestry of `parent`, in one round
 * trip: a department moved or added under `parent` asks both (the second for its event's path).
 */
export async function liveChildrenAndAncestry(trx: Trx, key: TenantKey, code: string, parent: string): Promise<{ hasChildren: boolean; above: ParentMap }> {
  const [children, up] = await runStatements<{ org_code: string; parent_code: string | null }>(trx, [liveChildStatement(trx, key, code), ancestryStatement(key, [parent])]);
  return { hasChildren: children!.rows.length > 0, above: parentMapOf(up!.rows) };
}

/**
 * `code`, its parent, and so on up over live departments, each row read with a shared lock, until
 * the top, a parent not (yet) synced, or `stop`. A locking read sees the latest committed row and
 * waits for an uncommitted one: a move that just wrote its row and walks up from its new parent
 * waits for any concurrent move on that path, so two moves closing a cycle between them cannot both
 * miss it (MySQL may pick one as a deadlock victim; the call is re-run). SQLite has one writer.
 */
export async function lockedAncestors(trx: Trx, key: TenantKey, code: string, stop: string): Promise<string[]> {
  const chain: string[] = [];
  const seen = new Set<string>();
  const sql = `SELECT parent_code FROM departments WHERE instance_id = ? AND tenant_id = ? AND org_code = ? AND deleted = 0${lockClause(trx, 'share')}`;
  for (let c: string | null = code; c !== null && !seen.has(c); ) {
    seen.add(c);
    const row: { parent_code: string | null } | undefined = (await runStatement<{ parent_code: string | null }>(trx, sql, [key.instance_id, key.tenant_id, c])).rows[0];
    if (!row) return chain;
    chain.push(c);
    if (c === stop) return chain;
    c = row.parent_code;
  }
  return chain;
}

/** The live departments `codes` name, their parents, and so on up: the parent links their paths need. */
export async function ancestry(db: Db | Trx, key: TenantKey, codes: string[]): Promise<ParentMap> {
  if (codes.length === 0) return new Map();
  const { sql, params } = ancestryStatement(key, codes);
  return parentMapOf((await runStatement<{ org_code: string; parent_code: string | null }>(db, sql, params)).rows);
}

const parentMapOf = (rows: { org_code: string; parent_code: string | null }[]): ParentMap => new Map(rows.map((r) => [r.org_code, r.parent_code]));

function ancestryStatement(key: TenantKey, codes: string[]): Statement {
  const live = 'd.instance_id = ? AND d.tenant_id = ? AND d.deleted = 0';
  // UNION, not UNION ALL: a row met twice is not walked again, so even stored data that loops ends.
  // CROSS JOIN keeps SQLite from scanning the tenant's departments for each step instead of using the key.
  // Sent as is, past the query builder: every singleOrgSync that changes a department asks this.
  const sql =
    'WITH RECURSIVE up (org_code, parent_code) AS (' +
    `SELECT d.org_code, d.parent_code FROM departments AS d WHERE ${live} AND d.org_code IN (${codes.map(() => '?').join(', ')})` +
    ` UNION SELECT d.org_code, d.parent_code FROM up CROSS JOIN departments AS d ON d.org_code = up.parent_code WHERE ${live}` +
    ') SELECT org_code, parent_code FROM up';
  return { sql, params: [key.instance_id, key.tenant_id, ...codes, key.instance_id, key.tenant_id] };
}

export interface DepartmentFilter extends Page, ChangeFilter {
  /** Only the children of this department. */
  parentCode?: string;
  /** Only departments at the top of a path: no parent, or a parent that is not a live department. */
  topLevel?: boolean;
  /** false: `total` only tells whether more follow this page (see onePage); a tree browser needs no more. */
  exactTotal?: boolean;
}

const parentIsLive = (db: Db) => (p: Knex.QueryBuilder) =>
  p
    .select(db.raw('1'))
    .from('departments as p')
    .whereRaw('p.instance_id = d.instance_id and p.tenant_id = d.tenant_id and p.org_code = d.parent_code')
    .andWhere('p.deleted', 0);

/** Past this many, the top level is found row by row instead (a list of codes that long is no cheaper). */
const MISSING_PARENTS_LISTED = 1000;

/**
 * The parent codes the tenant's departments name that are no live department (a parent sent later,
 * or removed), or undefined when there are too many to list. The parents are far fewer than the
 * departments (a tenth in a tree of ten per level) and read from the parent index alone, so this is
 * much cheaper than checking every department's parent.
 */
async function parentsNotLive(db: Db, key: TenantKey): Promise<string[] | undefined> {
  const parents: string[] = await db('departments').distinct('parent_code').where(key).whereNotNull('parent_code').pluck('parent_code');
  const live = new Set<string>();
  for (let i = 0; i < parents.length; i += IN_LIST_CHUNK) {
    const codes: string[] = await db('departments').where({ ...key, deleted: 0 }).whereIn('org_code', parents.slice(i, i + IN_LIST_CHUNK)).pluck('org_code');
    for (const code of codes) live.add(code);
  }
  const missing = parents.filter((code) => !live.has(code));
  return missing.length > MISSING_PARENTS_LISTED ? undefined : missing;
}

/** One page of the tenant's live departments in org_code order, and how many match in all. */
export async function departmentPage(db: Db, key: TenantKey, filter: DepartmentFilter) {
  const q = withChanges(db('departments as d').where({ 'd.instance_id': key.instance_id, 'd.tenant_id': key.tenant_id }), 'd', filter);
  if (filter.parentCode !== undefined) q.andWhere('d.parent_code', filter.parentCode);
  if (filter.topLevel) {
    const missing = await parentsNotLive(db, key);
    q.andWhere((w) => {
      w.whereNull('d.parent_code');
      if (missing === undefined) w.orWhereNotExists(parentIsLive(db));
      else if (missing.length > 0) w.orWhereIn('d.parent_code', missing);
    });
  }
  return onePage<Pick<StoredDepartment, 'org_code' | 'org_name' | 'parent_code' | 'deleted' | 'source_ts'>>(
    q.orderBy('d.org_code').select('d.org_code', 'd.org_name', 'd.parent_code', 'd.deleted', 'd.source_ts'),
    filter,
    filter.exactTotal,
  );
}
