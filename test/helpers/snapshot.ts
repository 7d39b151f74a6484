import type { Db } from '../../src/store/db.js';

const DIRECTORY_TABLES = ['tenants', 'apps', 'users', 'user_apps', 'departments'] as const;

/** Every directory row, so a test can assert that a call changed nothing at all. */
export async function directorySnapshot(db: Db) {
  const snap: Record<string, unknown[]> = {};
  for (const t of DIRECTORY_TABLES) snap[t] = await db(t).orderBy('id');
  return snap;
}

export async function rowCount(db: Db, table: string, where: Record<string, unknown> = {}): Promise<number> {
  const [{ n }] = await db(table).where(where).count({ n: '*' });
  return Number(n);
}

/** The latest audit record, or the latest of that call; its detail parsed. */
export async function lastAudit(db: Db, callName?: string) {
  const row = await db('audit_log').where(callName === undefined ? {} : { call_name: callName }).orderBy('id', 'desc').first();
  return { ...row, detail: row?.detail ? JSON.parse(row.detail) : null };
}

/**
 * The SQL `work` sent that names `table`, split into reads and writes (INSERT, UPDATE, DELETE), so a
 * test can assert that a call wrote nothing to it and, by the reads, that the spy saw the call at all.
 */
export async function statementsOn(db: Db, table: string, work: () => Promise<unknown>) {
  const names = new RegExp(`\\b${table}\\b`);
  const seen = { reads: [] as string[], writes: [] as string[] };
  const listener = ({ sql }: { sql: string }) => {
    if (!names.test(sql)) return;
    (/^\s*(insert|update|delete|replace)\b/i.test(sql) ? seen.writes : seen.reads).push(sql.slice(0, 120));
  };
  db.on('query', listener);
  try {
    await work();
  } finally {
    db.off('query', listener);
  }
  return seen;
}
