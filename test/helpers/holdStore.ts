import knex from 'knex';
import mysql from 'mysql2/promise';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/**
 * Makes the server's store not answer a call for a while, as another client would: on MySQL it
 * holds the rows `lockingRead` (a `SELECT … FOR UPDATE` with its parameters) locks; on SQLite,
 * another process's connection holds the file's write lock. Answers the function that lets go.
 */
export async function holdTheStore(s: TestServer, lockingRead: [string, unknown[]]): Promise<() => Promise<void>> {
  if (s.store === 'mysql') {
    const c = await mysql.createConnection({ uri: s.rt.config.databaseUrl });
    await c.query('BEGIN');
    await c.query(...lockingRead);
    return async () => {
      await c.query('ROLLBACK');
      await c.end();
    };
  }
  // One connection: the lock stays on it.
  const other = knex({ client: 'better-sqlite3', connection: { filename: join(s.rt.config.dataDir, 'koobridge.sqlite') }, useNullAsDefault: true, pool: { min: 1, max: 1 } });
  await other.raw('BEGIN IMMEDIATE');
  return async () => {
    await other.raw('ROLLBACK');
    await other.destroy();
  };
}

/** What `work` answers while the store is held as holdTheStore holds it; let go however it ends. */
export async function whileStoreHeld<T>(s: TestServer, lockingRead: [string, unknown[]], work: () => Promise<T>): Promise<T> {
  const release = await holdTheStore(s, lockingRead);
  try {
    return await work();
  } finally {
    await release();
  }
}
