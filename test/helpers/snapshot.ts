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

export async function lastAudit(db: Db) {
  return db('audit_log').orderBy('id', 'desc').first();
}
