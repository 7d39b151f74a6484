import { join } from 'node:path';
import { migrationSource } from '../../migrations/index.js';
import { openDb, type Db } from '../../src/store/db.js';
import { freshStore, type Store } from './database.js';

/**
 * A fresh database migrated up to (not including) `migration`, to test what that migration does to
 * data an older version left. close() removes it.
 */
export async function databaseBefore(store: Store, migration: string): Promise<{ db: Db; close(): Promise<void> }> {
  const fresh = await freshStore(store);
  const db = openDb({ databaseUrl: fresh.databaseUrl, sqliteFile: join(fresh.dataDir, 'koobridge.sqlite') });
  for (const name of await migrationSource.getMigrations([])) {
    if (name === migration) break;
    await db.migrate.up({ migrationSource, tableName: 'knex_migrations', name });
  }
  return {
    db,
    async close() {
      await db.destroy();
      await fresh.drop();
    },
  };
}
