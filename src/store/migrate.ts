import type { Db } from './db.js';
import { migrationSource } from '../../migrations/index.js';

const options = { migrationSource, tableName: 'knex_migrations' };

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = await db.migrate.latest(options);
  return applied as string[];
}

/** True when every known migration has been applied (readiness). */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const [, pending] = (await db.migrate.list(options)) as [unknown[], unknown[]];
  return pending.length === 0;
}
