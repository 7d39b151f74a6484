import mysql from 'mysql2/promise';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type Store = 'sqlite' | 'mysql';

export const defaultMysqlUrl = () => process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';

export interface FreshStore {
  /** DATABASE_URL for the server, or undefined for SQLite. */
  databaseUrl?: string;
  dataDir: string;
  /** Removes the database and the data folder (close the database first). */
  drop(): Promise<void>;
}

/** DATABASE_URL for a server on it: the MySQL schema, or the SQLite file named explicitly (as production requires). */
export const storeUrl = (fresh: FreshStore) => fresh.databaseUrl ?? `sqlite://${join(fresh.dataDir, 'koobridge.sqlite')}`;

/** A fresh, empty database per call: a SQLite file in a temp folder, or a new MySQL schema; drop() removes both. */
export async function freshStore(store: Store, mysqlUrl = defaultMysqlUrl()): Promise<FreshStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'koobridge-test-'));
  const removeDataDir = () => rmSync(dataDir, { recursive: true, force: true });
  if (store === 'sqlite') return { dataDir, drop: async () => removeDataDir() };
  const name = `kbt_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: mysqlUrl });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const url = new URL(mysqlUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const c = await mysql.createConnection({ uri: mysqlUrl });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
      removeDataDir();
    },
  };
}
