import { inject } from 'vitest';
import mysql from 'mysql2/promise';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export type Store = 'sqlite' | 'mysql';

/** The stores this run tests: SQLite always, MySQL when it answers (see globalSetup). */
export const stores: Store[] = inject('mysqlUrl') ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestStore {
  /** DATABASE_URL for the server, or undefined for SQLite. */
  databaseUrl?: string;
  dataDir: string;
  drop(): Promise<void>;
}

/** A fresh, empty database per call: a temp SQLite file, or a new MySQL schema dropped afterwards. */
export async function freshStore(store: Store): Promise<TestStore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'koobridge-test-'));
  if (store === 'sqlite') return { dataDir, drop: async () => {} };
  const base = inject('mysqlUrl')!;
  const name = `kbt_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await admin.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    dataDir,
    async drop() {
      const c = await mysql.createConnection({ uri: base });
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await c.end();
    },
  };
}
