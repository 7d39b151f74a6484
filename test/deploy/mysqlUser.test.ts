import { afterEach, describe, expect, it } from 'vitest';
import mysql from 'mysql2/promise';
import { randomBytes } from 'node:crypto';
import { stores } from '../helpers/stores.js';
import { defaultMysqlUrl } from '../helpers/database.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { TENANT, authSync, tenantSync, user } from '../helpers/fixtures.js';
import { openDb } from '../../src/store/db.js';
import { prepareDatabase } from '../../src/store/migrate.js';
import { createLogger } from '../../src/log.js';

/** The privileges the README's "Deploying" section grants koobridge's MySQL user. */
const PRIVILEGES = ['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER'];

const made: string[] = [];
let s: TestServer | undefined;
afterEach(async () => {
  await s?.stop();
  s = undefined;
  const admin = await mysql.createConnection({ uri: defaultMysqlUrl() });
  for (const name of made.splice(0)) {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.query(`DROP USER IF EXISTS '${name}'@'%'`);
  }
  await admin.end();
});

/** A database made as the README has an operator make it, and a user with `privileges` on it alone; the user's DATABASE_URL. */
async function databaseAndUser(privileges: string[]): Promise<string> {
  const database = `kbu_${randomBytes(4).toString('hex')}`;
  made.push(database);
  const admin = await mysql.createConnection({ uri: defaultMysqlUrl() });
  try {
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  return userOn(database, database, privileges);
}

async function userOn(database: string, name: string, privileges: string[]): Promise<string> {
  const password = randomBytes(12).toString('hex');
  made.push(name);
  const admin = await mysql.createConnection({ uri: defaultMysqlUrl() });
  try {
    await admin.query(`CREATE USER '${name}'@'%' IDENTIFIED BY '${password}'`);
    await admin.query(`GRANT ${privileges.join(', ')} ON \`${database}\`.* TO '${name}'@'%'`);
  } finally {
    await admin.end();
  }
  const url = new URL(defaultMysqlUrl());
  url.username = name;
  url.password = password;
  url.pathname = `/${database}`;
  return url.toString();
}

describe.runIf(stores.includes('mysql'))("koobridge's MySQL user", () => {
  it('with only the documented privileges, migrates an empty database, answers kit calls, serves the directory and is ready', async () => {
    const databaseUrl = await databaseAndUser(PRIVILEGES);
    s = await startTestServer('mysql', { DATABASE_URL: databaseUrl });
    expect(s.rt.config.databaseUrl).toBe(databaseUrl);
    expect((await s.kit('tenantSync', tenantSync())).resultCode).toBe('000000');
    expect((await s.kit('authSync', authSync([user('zhangsan')]))).resultCode).toBe('000000');
    // A modify and a delete: UPDATE and DELETE of the directory's rows.
    expect((await s.kit('authSync', authSync([user('zhangsan', { name: 'Zhang San' })]))).resultCode).toBe('000000');
    expect((await s.kit('authSync', authSync([user('zhangsan')], { flag: 0 }))).resultCode).toBe('000000');
    const tenant = await s.api(`/api/v1/tenants/${TENANT}`);
    expect(tenant.status).toBe(200);
    // Readiness writes its probe row and reads the migrations table.
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('once migrated, starts and serves as a user with SELECT, INSERT, UPDATE and DELETE alone (migrations run by another user)', async () => {
    const migrator = await databaseAndUser(PRIVILEGES);
    const db = openDb({ databaseUrl: migrator, sqliteFile: '' });
    try {
      await prepareDatabase(db, { waitSeconds: 0, log: createLogger('silent') });
    } finally {
      await db.destroy();
    }
    const database = new URL(migrator).pathname.slice(1);
    const server = await userOn(database, `${database}_dml`, ['SELECT', 'INSERT', 'UPDATE', 'DELETE']);
    s = await startTestServer('mysql', { DATABASE_URL: server });
    expect((await s.kit('tenantSync', tenantSync())).resultCode).toBe('000000');
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it.each(PRIVILEGES)('without %s cannot migrate an empty database (none of the documented privileges is spare)', async (missing) => {
    const databaseUrl = await databaseAndUser(PRIVILEGES.filter((p) => p !== missing));
    const db = openDb({ databaseUrl, sqliteFile: '' });
    try {
      await expect(prepareDatabase(db, { waitSeconds: 0, log: createLogger('silent') })).rejects.toThrow(new RegExp(`${missing} command denied`, 'i'));
    } finally {
      await db.destroy();
    }
  });
});
